"""Incremental builds equal a full build of the same files, delivery after delivery.

Two copies of the pipeline live side by side on the test server, through the dbt var
`schema_prefix`: `inc_*` schemas grow by incremental builds, one per delivery, and after
each one a `--full-refresh` build of the same landing files goes into `full_*`. Every
bronze, silver and gold table (and the snapshot's current rows) must then hold the same
rows in both, compared with `except all` both ways on every non-volatile column. Neither
copy touches the schemas the other tests read (bronze, silver, gold).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from helpers import LAKEHOUSE, fingerprints, lakehouse_cli, running_jobs, spark_api

from lakehouse import server
from lakehouse.config import PROJECT_DIR, Settings, dbt_env
from lakehouse.connection import query
from lakehouse.dbt_runner import dbt_executable
from lakehouse.generate import generate
from lakehouse.generate.values import reference

INCREMENTAL = "inc_"
FULL = "full_"

# Table -> columns that differ between two correct builds (load and check times).
COMPARED_TABLES = {
    "bronze.stg_landing__customers": {"_loaded_at"},
    "bronze.stg_landing__sales": {"_loaded_at"},
    "silver.int_customers_checked": {"_loaded_at", "_checked_at"},
    "silver.int_customers_validated": {"_loaded_at", "_checked_at"},
    "silver.int_customers_quarantined": {"_loaded_at", "_checked_at"},
    "silver.int_sales_checked": {"_loaded_at", "_checked_at"},
    "silver.int_sales_validated": {"_loaded_at", "_checked_at"},
    "silver.int_sales_quarantined": {"_loaded_at", "_checked_at"},
    "gold.fct_sales": {"_checked_at"},
    "gold.dim_customers": {"_checked_at"},
    "gold.dim_dates": set(),
    "gold.monthly_sales": {"_checked_at"},
    "gold.sales_by_customer": {"_checked_at"},
    "gold.sales_by_segment": {"_checked_at"},
    "gold.price_outlier_invoices": {"_checked_at"},
}
SNAPSHOT = "snapshots.snp_customers"

# The deliveries' landing folder and file names: awkward but ordinary names (spaces, `#`,
# `%`, glob characters, quotes, Turkish letters), in the folder's own path too; each must
# load on incremental builds and full builds alike, under its own name.
LANDING_FOLDER = "incremental landing [1] 'copy'"
DELIVERY_2 = "sales 2023-03-21 [final] #2.csv"
DELIVERY_3_CUSTOMERS = "müşteri 2023-03-22 {ek}.parquet"
DELIVERY_3_RESENT = "sales 2023-03-22 resent 100%*?.csv"
DELIVERY_4 = "sales_2023-03-23 'cheap'.csv"
# Files with no data row, delivered beside delivery 4: the header-only one is recorded as
# loaded with 0 rows; the 0-byte one is skipped (Spark lists no file of 0 bytes).
HEADER_ONLY, EMPTY = "sales_2023-03-23_header_only.csv", "sales_2023-03-23_empty.csv"

# Customers the deliveries below introduce or change.
LATE_CUSTOMERS = ("C8000001", "C8000002")  # their sales arrive one delivery before them
LATE_CUSTOMER_INVOICES = ("I80000001", "I80000002")


def _dbt(settings: Settings, landing: Path, prefix: str, *args: str) -> str:
    """dbt on the `prefix` copy. The full_ copy's --full-refresh builds rebuild its bronze too
    (the var rebuild_bronze), so that they read every landing file again: the reference an
    incremental bronze is compared with."""
    env = dict(dbt_env(settings), LAKEHOUSE_LANDING_DIR=str(landing))
    rebuild = prefix == FULL and "--full-refresh" in args
    build_vars = f"{{schema_prefix: {prefix}" + (", rebuild_bronze: true}" if rebuild else "}")
    run = subprocess.run(
        [dbt_executable(), *args, "--vars", build_vars],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, f"dbt {' '.join(args)} ({prefix}) failed:\n{run.stdout[-6000:]}"
    return run.stdout


def _build_models(settings: Settings, landing: Path, prefix: str, *extra: str) -> str:
    """Seeds, models and the snapshot, without the data tests (the tests change no table)."""
    return _dbt(
        settings, landing, prefix, "build",
        "--resource-type", "seed", "--resource-type", "model", "--resource-type", "snapshot",
        *extra,
    )  # fmt: skip


def _lakehouse_build(settings: Settings, landing: Path, prefix: str, *args: str) -> str:
    """`lakehouse build` as a user runs it, on the `prefix` copy: plans, builds (tests
    included), records the build; its output."""
    run = lakehouse_cli(
        "build", "--landing", str(landing), "--port", str(settings.port),
        "--schema-prefix", prefix, *args, timeout=900,
    )  # fmt: skip
    output = run.stdout + run.stderr
    assert run.returncode == 0, (
        f"lakehouse build {' '.join(args)} ({prefix}) failed:\n" + output[-6000:]
    )
    return output


def _test_failures() -> dict[str, int]:
    """Failing rows per data test of the latest dbt invocation (its run_results.json)."""
    results = json.loads((PROJECT_DIR / "target" / "run_results.json").read_text())
    return {
        result["unique_id"].split(".")[2]: result["failures"] or 0
        for result in results["results"]
        if result["unique_id"].startswith("test.")
    }


# Columns per table: the same in every copy and in every build of this module.
_COLUMNS: dict[str, list[str]] = {}


def _columns(settings: Settings, table: str) -> list[str]:
    if table not in _COLUMNS:
        columns = []
        for name, _type, _comment in query(settings, f"describe {table}"):
            if not name or name.startswith("#"):
                break
            columns.append(name)
        _COLUMNS[table] = columns
    return _COLUMNS[table]


def _difference_sql(
    settings: Settings, table: str, volatile: set[str], where: str, prefix: str
) -> str:
    """One row: the table's name, its row counts in <prefix><table> and full_<table>, and the
    rows of each missing from the other (`except all` on every non-volatile column)."""
    columns = [c for c in _columns(settings, FULL + table) if c not in volatile]
    listed = ", ".join(f"`{c}`" for c in columns)
    inc, full = prefix + table, FULL + table
    condition = f" where {where}" if where else ""
    return (
        f"select '{table}' as compared_table, "
        f"(select count(*) from {inc}{condition}) as incremental_rows, "
        f"(select count(*) from {full}{condition}) as full_rows, "
        f"(select count(*) from (select {listed} from {inc}{condition} "
        f"except all select {listed} from {full}{condition})) as only_incremental, "
        f"(select count(*) from (select {listed} from {full}{condition} "
        f"except all select {listed} from {inc}{condition})) as only_full"
    )


def _differences(
    settings: Settings, tables: dict[str, tuple[set[str], str]], prefix: str = INCREMENTAL
) -> dict[str, dict]:
    """For each table (-> its volatile columns and a row filter), in one statement: the rows
    of <prefix><table> missing from full_<table> and the other way, and both counts."""
    sql = " union all ".join(
        _difference_sql(settings, table, volatile, where, prefix)
        for table, (volatile, where) in tables.items()
    )
    keys = ("incremental_rows", "full_rows", "only_incremental", "only_full")
    return {
        row[0]: dict(zip(keys, (int(value) for value in row[1:]), strict=True))
        for row in query(settings, sql)
    }


def _drop_copies(settings: Settings, *prefixes: str) -> None:
    """A clean start: the snapshot keeps history across builds, even full refreshes."""
    for prefix in prefixes:
        for schema in ("landing", "bronze", "silver", "gold", "snapshots", "reference", "audit"):
            query(settings, f"drop schema if exists {prefix}{schema} cascade")


# The snapshot's columns that differ between two correct builds; its current rows compared.
SNAPSHOT_VOLATILE = {
    "dbt_scd_id",
    "dbt_updated_at",
    "dbt_valid_from",
    "dbt_valid_to",
    "_loaded_at",
    "_checked_at",
}


def _assert_equal_to_full_build(settings: Settings, step: str, prefix: str = INCREMENTAL) -> None:
    compared = {table: (volatile, "") for table, volatile in COMPARED_TABLES.items()}
    compared[SNAPSHOT] = (SNAPSHOT_VOLATILE, "dbt_valid_to is null")
    differences = _differences(settings, compared, prefix)
    assert set(differences) == set(compared), differences
    for table, found in differences.items():
        assert found["incremental_rows"] > 0 or table.endswith("quarantined"), (table, found)
    unequal = {
        table: found
        for table, found in differences.items()
        if found["only_incremental"] or found["only_full"]
    }
    assert not unequal, f"after {step}, incremental and full builds differ: {unequal}"


# Every Delta table of the pipeline: a build with nothing new must leave them all alone.
UNCHANGED_WITHOUT_NEW_FILES = (
    "bronze.landing_files",
    *(table for table in COMPARED_TABLES if not table.endswith(("validated", "quarantined"))),
    SNAPSHOT,
    "reference.payment_methods",
    "reference.product_categories",
    "reference.shopping_malls",
    "reference.value_aliases",
)


def _delta_versions(settings: Settings, prefix: str) -> dict[str, tuple]:
    """Each table's latest Delta version and its time: a table dropped and written again
    (as dbt reloads a seed) can come back at the same version number, not the same time."""
    versions = {}
    for table in UNCHANGED_WITHOUT_NEW_FILES:
        name = prefix + table
        ((version, timestamp, *_),) = query(settings, f"describe history {name} limit 1")
        versions[name] = (int(version), timestamp)
    return versions


# ---------------------------------------------------------------------------- deliveries


def _sales_line(invoice_no: str, customer_id: str, category_index: int, quantity: int) -> str:
    ref = reference()
    return ",".join(
        [
            invoice_no,
            customer_id,
            ref.categories[category_index],
            str(quantity),
            ref.price_text[category_index, quantity],
            "15-03-2023",
            ref.malls[category_index % len(ref.malls)],
        ]
    )


def _write(path: Path, text: str, delivered_at: dt.datetime) -> None:
    path.write_text(text, encoding="utf-8")
    stamp = delivered_at.timestamp()
    os.utime(path, (stamp, stamp))


def _clean_base_rows(landing: Path) -> tuple[list[dict], list[str]]:
    """Accepted-looking customers of the base delivery and clean sales lines of theirs."""
    customers = pq.read_table(landing / "customers" / "customer_data.parquet").to_pylist()
    ref = reference()
    clean = [
        row
        for row in customers
        if row["gender"] in ("Female", "Male")
        and row["age"] is not None
        and 18 <= row["age"] <= 100
        and row["payment_method"] in ("Cash", "Credit Card", "Debit Card")
    ]
    ids = {row["customer_id"] for row in clean}
    seen: dict[str, int] = {}
    for row in customers:
        seen[row["customer_id"]] = seen.get(row["customer_id"], 0) + 1
    clean = [row for row in clean if seen[row["customer_id"]] == 1]
    lines = (landing / "sales" / "sales_data.csv").read_text(encoding="utf-8").splitlines()[1:]
    invoices = {}
    for line in lines:
        fields = line.split(",")
        invoices.setdefault(fields[0], []).append(fields)
    clean_lines = [
        ",".join(fields[0])
        for fields in invoices.values()
        if len(fields) == 1
        and len(fields[0]) == 7
        and fields[0][1] in ids
        and fields[0][2] in ref.categories
        and fields[0][6] in ref.malls
    ]
    return clean, clean_lines


def test_deliveries_build_incrementally_to_what_a_full_build_gives(
    lakehouse_server: Settings,
) -> None:
    settings = lakehouse_server
    landing = settings.state_dir / LANDING_FOLDER
    start = dt.datetime(2023, 3, 20, 8, 0, tzinfo=dt.UTC)

    _drop_copies(settings, INCREMENTAL, FULL)

    # Delivery 1: a generated dirty feed (every anomaly type, malformed lines included).
    generate(landing, rows=2_000, seed=23, invoices_per_customer=2, overwrite=True)
    for kind, name in (("customers", "customer_data.parquet"), ("sales", "sales_data.csv")):
        path = landing / kind / name
        os.utime(path, (start.timestamp(), start.timestamp()))
    output = _lakehouse_build(settings, landing, INCREMENTAL, "--full-refresh")
    assert "Building every node: --full-refresh rebuilds silver, gold" in output
    _build_models(settings, landing, FULL, "--full-refresh")
    _assert_equal_to_full_build(settings, "the first delivery")

    customers, clean_lines = _clean_base_rows(landing)
    kept, changed, rejected_later = customers[0], customers[1], customers[2]
    corrected = [line.split(",") for line in clean_lines[:3]]
    ref = reference()

    # Delivery 2 (sales): new invoices, two corrections, a correction that is itself
    # rejected (quantity 9), sales of customers not delivered yet, a malformed line, and a
    # sale of a customer whose next delivery will be rejected.
    lines = [
        _sales_line("I80000001", LATE_CUSTOMERS[0], 0, 1),
        _sales_line("I80000002", LATE_CUSTOMERS[1], 1, 2),
        _sales_line("I80000003", kept["customer_id"], 2, 3),
        _sales_line("I80000004", rejected_later["customer_id"], 3, 4),
        '"I80000005,' + kept["customer_id"] + ",Books,1,15.15,15-03-2023,Kanyon",
    ]
    for fields in corrected[:2]:
        category = ref.categories.index(fields[2])
        quantity = int(fields[3]) % 5 + 1
        lines.append(
            _sales_line(fields[0], fields[1], category, quantity).replace("15-03-2023", fields[5])
        )
    lines.append(",".join([*corrected[2][:3], "9", *corrected[2][4:]]))
    header = "invoice_no,customer_id,category,quantity,price,invoice_date,shopping_mall"
    delivery_2 = "\n".join([header, *lines]) + "\n"
    _write(landing / "sales" / DELIVERY_2, delivery_2, start + dt.timedelta(days=1))
    # Only sales arrived: the build runs the nodes downstream of the sales source.
    output = _lakehouse_build(settings, landing, INCREMENTAL)
    assert "Building the nodes that read sales: 1 new file(s) of sales" in output
    assert "snp_customers" not in output and "int_customers_checked" not in output
    assert "int_sales_checked" in output
    _build_models(settings, landing, FULL, "--full-refresh")
    _assert_equal_to_full_build(settings, "delivery 2 (sales before their customers)")

    # Delivery 3: the late customers arrive, one customer changes payment method, another
    # is delivered again with an invalid gender; the sales of delivery 2 are sent again
    # under a new name (every line collapses onto its first copy).
    rows = [
        {"customer_id": LATE_CUSTOMERS[0], "gender": "Female", "age": 30.0,
         "payment_method": "Cash"},
        {"customer_id": LATE_CUSTOMERS[1], "gender": "Male", "age": 41.0,
         "payment_method": "Debit Card"},
        dict(changed, payment_method="Credit Card" if changed["payment_method"] != "Credit Card"
             else "Cash"),
        dict(rejected_later, gender="Unknown"),
    ]  # fmt: skip
    customers_3 = landing / "customers" / DELIVERY_3_CUSTOMERS
    pq.write_table(
        pa.Table.from_pylist(
            rows, schema=pq.read_schema(landing / "customers" / "customer_data.parquet")
        ),
        customers_3,
    )
    stamp = (start + dt.timedelta(days=2)).timestamp()
    os.utime(customers_3, (stamp, stamp))
    _write(landing / "sales" / DELIVERY_3_RESENT, delivery_2, start + dt.timedelta(days=2))
    output = _lakehouse_build(settings, landing, INCREMENTAL)
    assert "Building the nodes that read customers and sales: 2 new file(s)" in output
    _build_models(settings, landing, FULL, "--full-refresh")
    _assert_equal_to_full_build(settings, "delivery 3 (late customers, changes, a re-sent file)")

    # The sales that waited for their customers reached gold; the sale of the customer
    # rejected later left it.
    invoices = {
        row[0]
        for row in query(
            settings,
            f"select invoice_no from {INCREMENTAL}gold.fct_sales where invoice_no in "
            "('I80000001', 'I80000002', 'I80000003', 'I80000004')",
        )
    }
    assert invoices == {"I80000001", "I80000002", "I80000003"}

    # Delivery 4: many cheap sales pull the price-outlier threshold down; the fact re-flags
    # its rows and price_outlier_invoices is recomputed whole against the new threshold.
    # Amounts are few and discrete: the threshold is the top amount while more than 1% of the
    # sales have it, so the cheap sales outnumber those 200 to 1.
    threshold_before = _outlier_threshold(settings)
    ((top_amount_sales,),) = query(
        settings,
        f"select count(*) from {INCREMENTAL}gold.fct_sales group by amount_try "
        "order by amount_try desc limit 1",
    )
    cheapest = min(range(len(ref.categories)), key=lambda index: float(ref.price_text[index, 1]))
    cheap_lines = [
        _sales_line(f"I9{number:07d}", customers[number % len(customers)]["customer_id"],
                    cheapest, 1)
        for number in range(200 * int(top_amount_sales))
    ]  # fmt: skip
    _write(
        landing / "sales" / DELIVERY_4,
        "\n".join([header, *cheap_lines]) + "\n",
        start + dt.timedelta(days=3),
    )
    _write(landing / "sales" / HEADER_ONLY, header + "\n", start + dt.timedelta(days=3))
    _write(landing / "sales" / EMPTY, "", start + dt.timedelta(days=3))
    # Two builds at once (a scheduler's and a person's): one loads the delivery, the other
    # waits for its lock, then finds nothing new; bronze holds each line once (the equality
    # with a full build below says so).
    outputs = _concurrent_builds(settings, landing, INCREMENTAL)
    assert sum("Building the nodes that read sales" in output for output in outputs) == 1, outputs
    waited = [output for output in outputs if "Waiting for the build that holds" in output]
    assert len(waited) == 1 and "Up to date: no new delivery" in waited[0], outputs
    _build_models(settings, landing, FULL, "--full-refresh")
    assert _outlier_threshold(settings) < threshold_before
    _assert_equal_to_full_build(settings, "delivery 4 (the outlier threshold moves)")
    # Every delivery is in the manifest under its own name, with the lines bronze holds;
    # the files without data rows with 0.
    manifest = dict(
        query(
            settings,
            f"select file_name, rows_loaded from {INCREMENTAL}bronze.landing_files "
            "where file_kind = 'sales'",
        )
    )
    lines_per_file = {
        name: len((landing / "sales" / name).read_text(encoding="utf-8").splitlines()[1:])
        for name in (DELIVERY_2, DELIVERY_3_RESENT, DELIVERY_4, HEADER_ONLY, EMPTY)
    }
    # The 0-byte file is no delivery at all: Spark lists nothing of it, nor does the plan.
    assert {name: manifest.get(name) for name in lines_per_file} == {**lines_per_file, EMPTY: None}
    bronze = dict(
        query(
            settings,
            f"select _source_file, count(*) from {INCREMENTAL}bronze.stg_landing__sales group by 1",
        )
    )
    assert {name: bronze.get(name, 0) for name in lines_per_file} == lines_per_file

    # With no new file, `lakehouse build` runs no dbt node at all; `dbt build` runs every
    # node, and neither writes a table.
    before = _delta_versions(settings, INCREMENTAL)
    output = _lakehouse_build(settings, landing, INCREMENTAL)
    assert "Up to date: no new delivery since the last complete build" in output
    assert "Running with dbt" not in output
    output = _dbt(settings, landing, INCREMENTAL, "build")
    assert "ERROR=0" in output
    assert _delta_versions(settings, INCREMENTAL) == before

    # Its bronze and silver row-level tests looked at the rows it wrote (none), while
    # `dbt test` judges whole tables, where the first delivery's dirt is.
    incremental_failures = _test_failures()
    _dbt(settings, landing, INCREMENTAL, "test", "--select", "stg_landing__sales")
    whole_table_failures = _test_failures()
    dirt_test = "stg_sales__quantity_1_to_5"
    assert whole_table_failures[dirt_test] > 0
    assert incremental_failures[dirt_test] == 0


def _concurrent_builds(settings: Settings, landing: Path, prefix: str) -> list[str]:
    """Two `lakehouse build` started together on the `prefix` copy; the output of each."""
    command = [
        *LAKEHOUSE, "build", "--landing", str(landing), "--port", str(settings.port),
        "--schema-prefix", prefix,
    ]  # fmt: skip
    builds = [
        subprocess.Popen(
            command, cwd=PROJECT_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for _ in range(2)
    ]
    outputs = [build.communicate(timeout=900)[0] for build in builds]
    for build, output in zip(builds, outputs, strict=True):
        assert build.returncode == 0, output[-4000:]
    return outputs


def _outlier_threshold(settings: Settings) -> float:
    """The price-outlier threshold the incremental fact's flags follow (its table property)."""
    rows = query(
        settings,
        f"show tblproperties {INCREMENTAL}gold.fct_sales ('lakehouse.price_outlier_threshold_try')",
    )
    return float(rows[0][1])


def _run_dbt(settings: Settings, landing: Path, prefix: str, *args: str):
    env = dict(dbt_env(settings), LAKEHOUSE_LANDING_DIR=str(landing))
    return subprocess.run(
        [dbt_executable(), *args, "--vars", f"{{schema_prefix: {prefix}}}"],
        cwd=PROJECT_DIR, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_a_loaded_file_changed_in_place_stops_the_build_and_a_removed_one_keeps_its_rows(
    lakehouse_server: Settings,
) -> None:
    """Runs after the delivery test, on the landing folder and the inc_ tables it left."""
    settings = lakehouse_server
    landing = settings.state_dir / LANDING_FOLDER
    delivery = landing / "sales" / DELIVERY_2
    if not delivery.exists():
        pytest.fail("needs the landing folder of the delivery test (run the whole module)")
    before = _delta_versions(settings, INCREMENTAL)
    original, stat = delivery.read_bytes(), delivery.stat()

    # Changed in place: one more line, so size and modification time differ.
    delivery.write_bytes(original + _sales_line("I80000099", "C8000001", 0, 1).encode() + b"\n")
    build = _run_dbt(settings, landing, INCREMENTAL, "build")
    output = build.stdout + build.stderr
    assert build.returncode != 0
    assert "Landing file(s) changed in place after they were loaded into bronze: " in output
    assert f"{DELIVERY_2} (loaded: " in output
    assert "deliver the new content as a new file" in output
    assert "lakehouse build --rebuild-bronze --forget KIND/NAME" in output
    assert "START sql" not in output  # stopped before any model
    assert _delta_versions(settings, INCREMENTAL) == before

    # Removed after loading: a warning, and its lines stay in bronze.
    delivery.unlink()
    build = _run_dbt(settings, landing, INCREMENTAL, "build", "--resource-type", "model")
    assert build.returncode == 0, build.stdout[-3000:]
    assert (
        f"Warning: landing file sales/{DELIVERY_2} was loaded and is no longer in the "
        "landing folder; its rows stay in bronze." in build.stdout
    )
    ((lines,),) = query(
        settings,
        f"select count(*) from {INCREMENTAL}bronze.stg_landing__sales "
        f"where _source_file = '{DELIVERY_2}'",
    )
    assert lines == original.decode().count("\n") - 1  # every line but the header
    assert _delta_versions(settings, INCREMENTAL) == before

    # A full refresh rebuilds silver and gold from bronze: every figure stays as it was,
    # the removed file's rows included.
    figures = fingerprints(settings, ("bronze", "silver", "gold"), prefix=INCREMENTAL)
    output = _lakehouse_build(settings, landing, INCREMENTAL, "--full-refresh")
    assert "--full-refresh rebuilds silver, gold and the incremental tables from bronze" in output
    assert fingerprints(settings, ("bronze", "silver", "gold"), prefix=INCREMENTAL) == figures

    # Rebuilding bronze from the landing folder would lose them: refused, naming the file.
    versions = _delta_versions(settings, INCREMENTAL)
    refused = lakehouse_cli(
        "build", "--rebuild-bronze", "--landing", str(landing), "--port", str(settings.port),
        "--schema-prefix", INCREMENTAL,
    )  # fmt: skip
    assert refused.returncode == 1, refused.stdout[-2000:] + refused.stderr[-2000:]
    assert f"sales/{DELIVERY_2}: gone from the landing folder (loaded " in refused.stderr
    assert "--forget KIND/NAME" in refused.stderr and "Nothing was changed" in refused.stderr
    assert _delta_versions(settings, INCREMENTAL) == versions

    # Put back as it was loaded: nothing to do again.
    delivery.write_bytes(original)
    os.utime(delivery, ns=(stat.st_atime_ns, stat.st_mtime_ns))


CRASHED = "crash_"


def _commits(log_dir: Path) -> int:
    return len(list(log_dir.glob("*.json"))) if log_dir.exists() else 0


@pytest.fixture(scope="module")
def crash_base(lakehouse_server: Settings) -> Path:
    """The crash scenarios' start, built once for both: the crash_ copies and the full copy
    dropped, 1,000 generated rows in the state folder's crash-landing, built with
    --full-refresh into crash_. Each scenario adds a delivery of its own and leaves the copy
    equal to a full build of its files, so the next one starts from a complete state."""
    settings = lakehouse_server
    _drop_copies(settings, CRASHED, FULL)
    landing = settings.state_dir / "crash-landing"
    generate(landing, rows=1_000, seed=31, invoices_per_customer=2, overwrite=True)
    _build_models(settings, landing, CRASHED, "--full-refresh")
    return landing


def test_a_build_killed_between_bronze_and_silver_is_completed_by_the_next(
    lakehouse_server: Settings, crash_base: Path
) -> None:
    """SIGKILL of the server right after bronze appended a delivery, before silver read it:
    the next build finds the unprocessed bronze rows by silver's watermark and completes
    the work, and every table equals a full build of the same files."""
    settings = lakehouse_server
    landing = crash_base
    start = dt.datetime(2023, 3, 20, 8, 0, tzinfo=dt.UTC)
    # The base counts as a complete build for `lakehouse build`'s plan (below).
    _lakehouse_build(settings, landing, CRASHED, "--record-complete")

    _, clean_lines = _clean_base_rows(landing)
    customer = clean_lines[0].split(",")[1]
    lines = [_sales_line(f"I8100000{n}", customer, n, n % 5 + 1) for n in range(5)]
    header = "invoice_no,customer_id,category,quantity,price,invoice_date,shopping_mall"
    _write(landing / "sales" / "sales_2023-03-21.csv", "\n".join([header, *lines]) + "\n",
           start + dt.timedelta(days=1))  # fmt: skip

    # Start the build and kill the server as soon as bronze sales has committed the append.
    bronze_log = (
        settings.warehouse_dir / f"{CRASHED}bronze.db" / "stg_landing__sales" / "_delta_log"
    )
    commits_before = _commits(bronze_log)
    env = dict(dbt_env(settings), LAKEHOUSE_LANDING_DIR=str(landing))
    build = subprocess.Popen(
        [dbt_executable(), "build", "--resource-type", "model",
         "--vars", f"{{schema_prefix: {CRASHED}}}"],
        cwd=PROJECT_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 600
    while _commits(bronze_log) == commits_before and time.monotonic() < deadline:
        assert build.poll() is None, "the build ended before bronze committed"
        time.sleep(0.1)
    assert _commits(bronze_log) > commits_before, "bronze never committed the delivery"
    pid = server.running_server(settings).pid
    os.killpg(pid, signal.SIGKILL)
    build.wait(timeout=300)
    assert build.returncode != 0

    server.start(settings)
    # The kill landed between the layers: bronze holds the new lines, silver does not.
    ((bronze_loaded, silver_loaded),) = query(
        settings,
        f"select (select max(_loaded_at) from {CRASHED}bronze.stg_landing__sales), "
        f"(select max(_loaded_at) from {CRASHED}silver.int_sales_checked)",
    )
    assert bronze_loaded > silver_loaded
    # Whether or not bronze's manifest already lists the file, `lakehouse build` runs every
    # node, not only what a new file reaches: bronze was written after the last complete build.
    planned = lakehouse_cli(
        "build", "--plan", "--json", "--landing", str(landing), "--port", str(settings.port),
        "--schema-prefix", CRASHED,
    )  # fmt: skip
    assert planned.returncode == 0, planned.stderr
    plan = json.loads(planned.stdout)
    assert plan["action"] == "everything"
    assert "bronze was written after the last complete build" in plan["reason"]

    _build_models(settings, landing, CRASHED)
    _build_models(settings, landing, FULL, "--full-refresh")
    _assert_equal_to_full_build(settings, "a build killed between bronze and silver", CRASHED)
    ((new_invoices,),) = query(
        settings,
        f"select count(*) from {CRASHED}gold.fct_sales where invoice_no in "
        + str(tuple(f"I8100000{n}" for n in range(5))),
    )
    assert new_invoices == 5


# The delivery of the merge test: enough lines over every month of the fact (27
# partitions, 2021-01 to 2023-03) that writing them takes a Spark job of a few dozen tasks,
# which the server reports as running for a second or more.
MERGE_DELIVERY_LINES = 3_000
MERGE_DELIVERY_MONTHS = 27


def _fact_merge(prefix: str) -> re.Pattern[str]:
    """The dbt incremental merge into <prefix>gold.fct_sales (dbt-spark's get_merge_sql), not
    the pre-hook's `merge into ... as target ... when matched then delete`."""
    return re.compile(
        rf"merge\s+into\s+`?{prefix}gold`?\.`?fct_sales`?\s+as\s+DBT_INTERNAL_DEST\s", re.I
    )


def _kill_while_merging_the_fact(
    api: str, pid: int, build: subprocess.Popen, statement: re.Pattern[str]
) -> dict:
    """Watch the server's running Spark jobs; SIGKILL its process group as soon as the merge
    statement's job writing its new files runs. Returns that job, as last seen running."""
    while build.poll() is None:
        for job in running_jobs(api):
            description = " ".join((job.get("description") or "").split())
            # Delta's own jobs ("Delta: ...") may run after the commit; the statement's
            # writing job ("... - MERGE operation - writing new files ...") runs before it.
            if (
                not description.startswith("Delta:")
                and statement.search(description)
                and "MERGE operation - writing" in description
            ):
                os.killpg(pid, signal.SIGKILL)
                return job
        time.sleep(0.02)
    raise AssertionError("the build ended without a running job of the merge into fct_sales")


def test_a_build_killed_during_the_merge_into_the_fact_is_completed_by_the_next(
    lakehouse_server: Settings, crash_base: Path, tmp_path: Path
) -> None:
    """SIGKILL of the server while dbt's incremental merge into gold.fct_sales writes a
    delivery's new invoices: the merge commits nothing, silver keeps the rows it checked, the
    next build merges them into the fact (its watermark did not move), and every table equals
    a full build of the same files."""
    settings = lakehouse_server
    prefix, landing = CRASHED, crash_base
    start = dt.datetime(2023, 3, 20, 8, 0, tzinfo=dt.UTC)

    # A delivery of new invoices of accepted customers, spread over every month of the fact.
    customers, _ = _clean_base_rows(landing)
    invoices = [f"I83{n:06d}" for n in range(MERGE_DELIVERY_LINES)]
    lines = []
    for n, invoice in enumerate(invoices):
        month = n % MERGE_DELIVERY_MONTHS
        date = f"{n % 28 + 1:02d}-{month % 12 + 1:02d}-{2021 + month // 12}"
        line = _sales_line(invoice, customers[n % len(customers)]["customer_id"], n % 8, n % 5 + 1)
        lines.append(line.replace("15-03-2023", date))
    header = "invoice_no,customer_id,category,quantity,price,invoice_date,shopping_mall"
    _write(landing / "sales" / "sales_2023-03-22.csv", "\n".join([header, *lines]) + "\n",
           start + dt.timedelta(days=1))  # fmt: skip
    new_invoices = "invoice_no like 'I83%' and length(invoice_no) = 9"

    # Start the build and kill the server while the merge writes the fact's new files. The
    # pre-hook's delete finds no stale invoice (every new one is accepted) and commits
    # nothing: the fact's log must be as it was before the build.
    fact_log = settings.warehouse_dir / f"{prefix}gold.db" / "fct_sales" / "_delta_log"
    commits_before = _commits(fact_log)
    assert commits_before > 0, fact_log
    pid = server.running_server(settings).pid
    api = spark_api(pid)
    log_path = tmp_path / "killed-build.log"
    env = dict(dbt_env(settings), LAKEHOUSE_LANDING_DIR=str(landing))
    with log_path.open("w") as log:
        build = subprocess.Popen(
            [dbt_executable(), "build",
             "--resource-type", "seed", "--resource-type", "model", "--resource-type", "snapshot",
             "--vars", f"{{schema_prefix: {prefix}}}"],
            cwd=PROJECT_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        job = _kill_while_merging_the_fact(api, pid, build, _fact_merge(prefix))
        build.wait(timeout=300)
    output = log_path.read_text()
    described = " ".join(job["description"].split())
    print(f"killed the server during job {job['jobId']}: ...{described[-120:]}")
    assert job["status"] == "RUNNING"
    assert build.returncode != 0
    assert f"START sql incremental model {prefix}gold.fct_sales" in output
    assert f"OK created sql incremental model {prefix}gold.fct_sales" not in output
    # The killed merge left no commit.
    assert _commits(fact_log) == commits_before

    server.start(settings)
    # The kill landed between silver and gold: silver accepted the new invoices, the fact
    # has none of them.
    ((silver_rows, fact_rows),) = query(
        settings,
        f"select (select count(*) from {prefix}silver.int_sales_validated where {new_invoices}), "
        f"(select count(*) from {prefix}gold.fct_sales where {new_invoices})",
    )
    assert (silver_rows, fact_rows) == (MERGE_DELIVERY_LINES, 0)

    _build_models(settings, landing, prefix)
    _build_models(settings, landing, FULL, "--full-refresh")
    _assert_equal_to_full_build(settings, "a build killed during the merge into the fact", prefix)
    ((merged,),) = query(
        settings, f"select count(*) from {prefix}gold.fct_sales where {new_invoices}"
    )
    assert merged == MERGE_DELIVERY_LINES
