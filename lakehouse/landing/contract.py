"""What a delivery looks like: the folder of each kind of file, its columns, its file names.

docs/landing_contract.md describes it for people; dbt_project.yml holds the same values as
vars (`sales_csv_header`, `customer_columns`, `landing_file_globs`) for the models and
macros, and pytests/unit/test_landing.py checks that they equal these.
"""

from __future__ import annotations

from pathlib import Path

SALES_DIR = "sales"
CUSTOMERS_DIR = "customers"
KINDS = (CUSTOMERS_DIR, SALES_DIR)

# The sales CSV: text columns, in the order of the header line.
SALES_COLUMNS = (
    "invoice_no",
    "customer_id",
    "category",
    "quantity",
    "price",
    "invoice_date",
    "shopping_mall",
)
SALES_HEADER = ",".join(SALES_COLUMNS)

# The customers Parquet: columns read by name, with the Spark type the landing table reads
# them as (Spark refuses a file whose physical type differs, e.g. an int64 age).
CUSTOMER_TYPES = {
    "customer_id": "string",
    "gender": "string",
    "age": "double",
    "payment_method": "string",
}
CUSTOMER_COLUMNS = tuple(CUSTOMER_TYPES)

# Which files of a kind's folder are deliveries: any name with the kind's suffix (one file is
# one delivery), except names starting with `.` or `_`, which Spark never reads (`_SUCCESS`,
# `.part.crc`, the generator's `.name.tmp` files).
FILE_GLOBS = {SALES_DIR: "*.csv", CUSTOMERS_DIR: "*.parquet"}
SKIPPED_PREFIXES = (".", "_")

# The names the generator writes (and `lakehouse generate` documents); any other name that
# matches the glob is a delivery too.
SALES_FILE = Path(SALES_DIR) / "sales_data.csv"
CUSTOMERS_FILE = Path(CUSTOMERS_DIR) / "customer_data.parquet"
