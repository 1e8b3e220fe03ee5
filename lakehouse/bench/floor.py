"""The floor job: the least work that turns the landing files into one joined Delta table.

One Spark SQL statement through the same Thrift server: Spark's CSV reader over the sales
file, the parquet reader over the customers, the types the gold fact has, one join, one
Delta write. No cleaning, deduplication, quarantine, tests or partitioning: a lower bound that
the real pipeline (which does all of that) is measured against.
"""

from __future__ import annotations

from pathlib import Path

from lakehouse.landing.contract import CUSTOMERS_FILE, SALES_FILE

SCHEMA = "bench"
TABLE = f"{SCHEMA}.floor"


def floor_sql(landing: Path) -> str:
    sales = landing / SALES_FILE
    customers = landing / CUSTOMERS_FILE
    # `csv.` reads without options, so columns are _c0.._c6 and the header is a data row.
    return f"""
create or replace table {TABLE} using delta as
select
    sales._c0 as invoice_no,
    sales._c1 as customer_id,
    sales._c2 as category,
    cast(sales._c3 as int) as quantity,
    cast(sales._c4 as decimal(12, 2)) as price_try,
    to_date(sales._c5, 'dd-MM-yyyy') as invoice_date,
    sales._c6 as shopping_mall,
    customers.gender,
    customers.age,
    customers.payment_method
from csv.`{sales}` as sales
left join parquet.`{customers}` as customers
    on sales._c1 = customers.customer_id
where sales._c0 != 'invoice_no'
"""


def floor_rows_sql() -> str:
    return f"select count(*) from {TABLE}"
