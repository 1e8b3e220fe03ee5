"""Reliability: bad deliveries, a crash in the middle of a build, readers during a build.

Runs on the shared server and build (`built_pipeline`), after the pipeline and quality tests
(file order), and adds deliveries to its landing folder. Each scenario checks that nothing
is lost (every received row is in silver, quarantined or a collapsed duplicate) and that gold
only ever changes by whole, committed builds.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import threading
import time
from pathlib import Path

import independent
import psutil
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import BuiltPipeline
from test_server import lakehouse_cli

from lakehouse import server
from lakehouse.config import PROJECT_DIR, Settings, dbt_env
from lakehouse.connection import connect, query
from lakehouse.dbt_runner import dbt_executable
from lakehouse.landing import dbt_args_checked

LAYERS = ("bronze", "silver", "gold")
# Columns that say when a row was loaded, not what it holds.
VOLATILE_COLUMNS = {"_loaded_at"}


def tables(settings: Settings, schema: str) -> list[str]:
    return sorted(f"{schema}.{row[1]}" for row in query(settings, f"show tables in {schema}"))


def fingerprint(settings: Settings, table: str) -> tuple[int, int]:
    """Row count and an order-independent checksum of every non-volatile column."""
    columns = []
    for name, *_ in query(settings, f"describe {table}"):
        if not name or name.startswith("#"):
            break  # partition information follows; its columns are listed above already
        if name not in VOLATILE_COLUMNS:
            columns.append(f"`{name}`")
    ((count, checksum),) = query(
        settings, f"select count(*), coalesce(sum(xxhash64({', '.join(columns)})), 0) from {table}"
    )
    return int(count), int(checksum)


def fingerprints(settings: Settings, schemas: tuple[str, ...] = LAYERS) -> dict:
    return {
        table: fingerprint(settings, table)
        for schema in schemas
        for table in tables(settings, schema)
    }


def unaccounted_rows(settings: Settings) -> dict[str, tuple[int, int]]:
    """Per entity and source file, where rows received != rows in silver + quarantined +
    collapsed or superseded duplicates. Empty when nothing was lost."""

    def per_file(sql: str) -> dict[str, int]:
        return dict(query(settings, sql + " group by _source_file"))

    gaps = {}
    for entity, bronze in (
        ("sales", "stg_landing__sales"),
        ("customers", "stg_landing__customers"),
    ):
        received = per_file(f"select _source_file, count(*) from bronze.{bronze}")
        silver = per_file(f"select _source_file, count(*) from silver.int_{entity}_validated")
        quarantined = per_file(
            f"select _source_file, count(*) from silver.int_{entity}_quarantined"
        )
        duplicates = per_file(
            f"select _source_file, count(*) from silver.int_{entity}_checked "
            "where outcome in ('collapsed', 'superseded')"
        )
        for source_file, count in received.items():
            kept = sum(part.get(source_file, 0) for part in (silver, quarantined, duplicates))
            if count != kept:
                gaps[f"{entity}:{source_file}"] = (count, kept)
    return gaps


# ------------------------------------------------------- deliveries that break the contract

SALES_COLUMNS = independent.SALES_HEADER.split(",")
# The invoices these tests deliver: 'I8' and 6 digits, longer than the generator's 'I' + 6.
NEW_INVOICES = "length(invoice_no) = 8 and invoice_no like 'I8%'"
GOOD_SALES_LINE = "I8100001,C100001,Books,1,15.15,10-03-2023,Kanyon"


def _customers_table(**columns: pa.Array) -> pa.Table:
    base = {
        "customer_id": pa.array(["C800001"]),
        "gender": pa.array(["Female"]),
        "age": pa.array([30.0]),
        "payment_method": pa.array(["Cash"]),
    }
    base.update(columns)
    return pa.table({name: array for name, array in base.items() if array is not None})


def _write_broken(landing: Path, case: str) -> tuple[Path, str]:
    """Write one broken delivery; return its path and what the error must say."""
    if case == "sales_missing_column":
        path = landing / "sales" / "sales_no_price.csv"
        header = ",".join(c for c in SALES_COLUMNS if c != "price")
        path.write_text(header + "\nI8100002,C100001,Books,1,10-03-2023,Kanyon\n")
        return path, "sales/sales_no_price.csv: required column 'price' is missing"
    if case == "sales_renamed_column":
        path = landing / "sales" / "sales_renamed.csv"
        path.write_text(
            independent.SALES_HEADER.replace("invoice_date", "date") + "\n" + GOOD_SALES_LINE + "\n"
        )
        return path, "sales/sales_renamed.csv: required column 'invoice_date' is missing"
    if case == "sales_binary_garbage":
        path = landing / "sales" / "sales_garbage.csv"
        path.write_bytes(bytes(range(256)) * 64)
        return path, "sales/sales_garbage.csv is not a UTF-8 text CSV file (binary content"
    if case == "customers_missing_column":
        path = landing / "customers" / "customers_no_age.parquet"
        pq.write_table(_customers_table(age=None), path)
        return path, "customers/customers_no_age.parquet: required column 'age' is missing"
    if case == "customers_wrong_type":
        path = landing / "customers" / "customers_int_age.parquet"
        pq.write_table(_customers_table(age=pa.array([30], pa.int64())), path)
        return path, "customers/customers_int_age.parquet: column 'age' is int64, expected double"
    if case == "customers_corrupt_parquet":
        path = landing / "customers" / "customers_corrupt.parquet"
        valid = landing / "customers" / "customer_data.parquet"
        path.write_bytes(valid.read_bytes()[: valid.stat().st_size // 2])  # cut in half
        return path, "customers/customers_corrupt.parquet is not a readable Parquet file"
    raise AssertionError(case)


@pytest.fixture(scope="module")
def gold_before(built_pipeline: BuiltPipeline) -> dict:
    return fingerprints(built_pipeline.settings, ("gold",))


@pytest.mark.parametrize(
    "case",
    [
        "sales_missing_column",
        "sales_renamed_column",
        "sales_binary_garbage",
        "customers_missing_column",
        "customers_wrong_type",
        "customers_corrupt_parquet",
    ],
)
def test_a_delivery_breaking_the_contract_stops_the_build_before_gold_changes(
    built_pipeline: BuiltPipeline, gold_before: dict, case: str
) -> None:
    path, expected_message = _write_broken(built_pipeline.landing_dir, case)
    try:
        result = lakehouse_cli("dbt", "build")
    finally:
        path.unlink()
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr[-2000:]
    assert expected_message in result.stderr
    assert "no table was changed" in result.stderr
    assert "Traceback" not in result.stderr
    assert "Running with dbt" not in result.stdout  # dbt never started
    assert fingerprints(built_pipeline.settings, ("gold",)) == gold_before


# ------------------------------------------------------------------ deliveries the build copes with


def test_odd_but_valid_deliveries_load_with_warnings_and_lose_nothing(
    built_pipeline: BuiltPipeline,
) -> None:
    settings, landing = built_pipeline.settings, built_pipeline.landing_dir
    sales_dir, customers_dir = landing / "sales", landing / "customers"
    prices = independent.unit_prices()
    ((fact_before,),) = query(settings, "select count(*) from gold.fct_sales")
    old_facts = fingerprint_where(settings, f"not ({NEW_INVOICES})")
    customers = sorted(
        row[0] for row in query(settings, "select customer_id from gold.dim_customers limit 5")
    )

    # 1. Empty and header-only files: zero rows.
    (sales_dir / "sales_empty.csv").write_bytes(b"")
    (sales_dir / "sales_header_only.csv").write_text(independent.SALES_HEADER + "\n")
    (customers_dir / "customers_empty.parquet").write_bytes(b"")
    # 2. Extra columns, one in the middle, one at the end, in a CSV and in a Parquet file.
    drift_header = (
        "invoice_no,customer_id,discount_code,category,quantity,price,invoice_date,"
        "shopping_mall,channel"
    )
    drift_lines = [
        f"I81{n:05d},{customers[n % len(customers)]},SPRING{n},Books,{n % 5 + 1},"
        f"{(n % 5 + 1) * prices['Books']},10-03-2023,Kanyon,web"
        for n in range(10)
    ]
    (sales_dir / "sales_with_extra_columns.csv").write_text(
        drift_header + "\n" + "\n".join(drift_lines) + "\n"
    )
    pq.write_table(
        _customers_table(
            customer_id=pa.array(["C810001", "C810002"]),
            gender=pa.array(["Female", "Male"]),
            age=pa.array([41.0, 29.0]),
            payment_method=pa.array(["Cash", "Debit Card"]),
            loyalty_tier=pa.array(["gold", "silver"]),
        ),
        customers_dir / "customers_with_extra_column.parquet",
    )
    # 3. A very long line and malformed lines beside good ones.
    bad_lines = [
        f"I8200001,{customers[0]},Books,1,{prices['Books']},10-03-2023," + "K" * 200_000,
        f"I8200002,{customers[0]},Books,1,{prices['Books']},10-03-2023",  # a field short
        f'I8200003,{customers[0]},"Books,1,{prices["Books"]},10-03-2023,Kanyon',  # stray quote
        f"I8200004,{customers[0]},Books,1,{prices['Books']},10-03-2023,Kanyon,extra,fields",
    ]
    good_lines = [
        f"I8200010,{customers[1]},Books,2,{2 * prices['Books']},10-03-2023,Kanyon",
    ]
    (sales_dir / "sales_with_bad_lines.csv").write_text(
        independent.SALES_HEADER + "\n" + "\n".join(bad_lines + good_lines) + "\n"
    )
    # 4. The same file delivered again under another name.
    original = sales_dir / "sales_data.csv"
    (sales_dir / "sales_data_resent.csv").write_bytes(original.read_bytes())

    result = lakehouse_cli("dbt", "build", timeout=1200)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    warnings = [line.strip() for line in result.stdout.splitlines() if "WARNING:" in line]
    assert (
        "WARNING: sales/sales_with_extra_columns.csv: extra column(s) 'discount_code', "
        "'channel' ignored." in warnings
    )
    assert (
        "WARNING: customers/customers_with_extra_column.parquet: extra column(s) "
        "'loyalty_tier' ignored." in warnings
    )
    assert "sales/sales_header_only.csv has a header and no data lines" in result.stdout

    bronze_files = dict(
        query(settings, "select _source_file, count(*) from bronze.stg_landing__sales group by 1")
    )
    assert "sales_empty.csv" not in bronze_files and "sales_header_only.csv" not in bronze_files
    assert bronze_files["sales_with_extra_columns.csv"] == 10
    assert bronze_files["sales_with_bad_lines.csv"] == 5
    assert bronze_files["sales_data_resent.csv"] == bronze_files["sales_data.csv"]

    # Extra columns ignored, the required ones read by name wherever they stand.
    loaded = query(
        settings,
        "select invoice_no, customer_id, category, quantity, amount_try, invoice_date "
        f"from gold.fct_sales where {NEW_INVOICES} and invoice_no like 'I81%' "
        "order by invoice_no",
    )
    assert [(row[0], row[1], row[2], row[3]) for row in loaded] == [
        (f"I81{n:05d}", customers[n % len(customers)], "Books", n % 5 + 1) for n in range(10)
    ]
    assert all(str(row[5]) == "2023-03-10" for row in loaded)
    new_customers = query(
        settings,
        "select customer_id, age from gold.dim_customers "
        "where customer_id like 'C81000%' order by 1",
    )
    assert [(row[0], int(row[1])) for row in new_customers] == [("C810001", 41), ("C810002", 29)]

    # The long and malformed lines are quarantined with a reason; the good line loads.
    quarantined = dict(
        query(
            settings,
            "select invoice_no, primary_reason from silver.int_sales_quarantined "
            "where _source_file = 'sales_with_bad_lines.csv'",
        )
    )
    assert quarantined == {
        "I8200001": "unknown_mall",
        "I8200002": "malformed_line",
        "I8200003": "malformed_line",
        "I8200004": "malformed_line",
    }
    assert query(settings, "select count(*) from gold.fct_sales where invoice_no = 'I8200010'") == [
        (1,)
    ]

    # The re-sent file changed nothing: its rows collapse onto the first delivery's.
    ((resent_collapsed,),) = query(
        settings,
        "select count(*) from silver.int_sales_checked "
        "where _source_file = 'sales_data_resent.csv' and outcome in ('collapsed', 'superseded')",
    )
    assert resent_collapsed == bronze_files["sales_data_resent.csv"]
    assert fingerprint_where(settings, f"not ({NEW_INVOICES})") == old_facts
    ((fact_after,),) = query(settings, "select count(*) from gold.fct_sales")
    assert fact_after == fact_before + 10 + 1

    assert unaccounted_rows(settings) == {}


def fingerprint_where(settings: Settings, condition: str) -> tuple:
    ((count, checksum),) = query(
        settings,
        "select count(*), coalesce(sum(xxhash64(invoice_no, customer_id, category, "
        "shopping_mall, invoice_date, quantity, amount_try)), 0) "
        f"from gold.fct_sales where {condition}",
    )
    return count, checksum


# ------------------------------------------------------- a crash, and readers during a build

# Each session queries while the build runs, up to the maximum; at least the minimum, so the
# soak means something even when the build is quick. Bounded by the build, not by a count.
SOAK_SESSIONS = 8
SOAK_MAX_QUERIES_PER_SESSION = 200
SOAK_MIN_QUERIES_PER_SESSION = 25
# A pause between one session's queries, as a person or dashboard leaves: back-to-back
# queries from 8 sessions would take most of two cores from the build they run beside.
SOAK_THINK_TIME_S = 1.0
SOAK_QUERIES = [
    "select count(*), sum(amount_try) from gold.fct_sales",
    "select count(*), sum(amount_try) from gold.fct_sales "
    "where invoice_year = 2022 and invoice_month = 6",
    "select count(*) from gold.dim_customers",
    "select count(*) from gold.monthly_sales",
]


def _start_dbt(settings: Settings, landing: Path, args: list[str], output=subprocess.PIPE):
    return subprocess.Popen(
        [dbt_executable(), *dbt_args_checked(landing, args)],
        cwd=PROJECT_DIR,
        env=dbt_env(settings),
        stdout=output,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _soak(settings: Settings, expected: dict[str, list], build: subprocess.Popen) -> dict:
    """SOAK_SESSIONS JDBC sessions, each running its queries in turn (with a think time)
    while the build runs;
    every answer must be the committed one (a half-written table would give another count
    or sum)."""
    latencies: list[float] = []
    failures: list[str] = []
    wrong_answers: list[str] = []
    during_build = [0]  # queries started while the build was running
    lock = threading.Lock()

    def session(number: int) -> None:
        try:
            with connect(settings) as connection:
                cursor = connection.cursor()
                for index in range(SOAK_MAX_QUERIES_PER_SESSION):
                    if index >= SOAK_MIN_QUERIES_PER_SESSION and build.poll() is not None:
                        break
                    sql = SOAK_QUERIES[(number + index) % len(SOAK_QUERIES)]
                    build_running = build.poll() is None
                    started = time.perf_counter()
                    try:
                        cursor.execute(sql)
                        answer = [tuple(row) for row in cursor.fetchall()]
                    except Exception as error:  # noqa: BLE001 - every failure is reported
                        with lock:
                            failures.append(f"{sql}: {error}"[:300])
                        continue
                    with lock:
                        latencies.append(time.perf_counter() - started)
                        during_build[0] += build_running
                        if answer != expected[sql]:
                            wrong_answers.append(f"{sql}: {answer} != {expected[sql]}")
                    time.sleep(SOAK_THINK_TIME_S)
        except Exception as error:  # noqa: BLE001 - a session that could not open
            with lock:
                failures.append(f"session {number}: {error}"[:300])

    threads = [threading.Thread(target=session, args=(n,)) for n in range(SOAK_SESSIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.sort()
    return {
        "queries": len(latencies) + len(failures),
        "answered": len(latencies),
        "answered_during_build": during_build[0],
        "failures": failures,
        "wrong_answers": wrong_answers,
        "p50_s": statistics.median(latencies) if latencies else None,
        "p95_s": latencies[int(0.95 * (len(latencies) - 1))] if latencies else None,
    }


def _peak_rss(pid: int, stop: threading.Event, peak: list[int]) -> None:
    try:
        process = psutil.Process(pid)
        while not stop.is_set():
            peak[0] = max(peak[0], process.memory_info().rss)
            stop.wait(0.5)
    except psutil.Error:
        pass


def test_a_crash_mid_build_loses_nothing_and_readers_never_see_half_written_gold(
    built_pipeline: BuiltPipeline, artifacts_dir: Path
) -> None:
    settings, landing = built_pipeline.settings, built_pipeline.landing_dir
    reference = fingerprints(settings)
    expected = {sql: [tuple(row) for row in query(settings, sql)] for sql in SOAK_QUERIES}

    # 1. Kill the server (SIGKILL) while a full-refresh build rewrites the fact table.
    build = _start_dbt(settings, landing, ["build", "--full-refresh"])
    seen = []
    for line in build.stdout:
        seen.append(line)
        if "START sql incremental model gold.fct_sales" in line:
            break
    else:
        pytest.fail("the build never reached gold.fct_sales:\n" + "".join(seen[-40:]))
    time.sleep(3)
    pid = server.read_pid_file(settings).pid
    os.kill(pid, signal.SIGKILL)
    try:
        build.communicate(timeout=600)
    except subprocess.TimeoutExpired:
        build.kill()
        build.communicate()
    assert build.returncode != 0
    assert settings.pid_file.exists()  # left behind, like the Derby lock files
    assert (settings.metastore_dir / "db.lck").exists()

    # 2. `server start` copes with the stale pid file and Derby's lock files.
    restarted = lakehouse_cli("server", "start", timeout=600)
    assert restarted.returncode == 0, restarted.stdout + restarted.stderr
    assert f"stale pid file (pid {pid})" in restarted.stdout
    new_pid = server.read_pid_file(settings).pid
    assert new_pid != pid

    # 3. The next build completes while 8 JDBC sessions read gold: no failed query, and every
    #    answer is the committed state (the data did not change, so it is the reference).
    stop, peak = threading.Event(), [0]
    sampler = threading.Thread(target=_peak_rss, args=(new_pid, stop, peak))
    sampler.start()
    log_path = artifacts_dir / "reliability-rebuild.log"
    with log_path.open("w") as log:
        rebuild = _start_dbt(settings, landing, ["build"], output=log)
        soak = _soak(settings, expected, rebuild)
        rebuild.wait(timeout=1800)
    output = log_path.read_text()
    stop.set()
    sampler.join()
    soak["server_peak_rss_mb"] = round(peak[0] / 2**20)
    soak["driver_memory"] = settings.driver_memory
    (artifacts_dir / "soak.json").write_text(json.dumps(soak, indent=2) + "\n")
    summary = {k: v for k, v in soak.items() if k not in ("failures", "wrong_answers")}
    print(f"soak: {json.dumps(summary)}")

    assert rebuild.returncode == 0, output[-4000:]
    assert soak["failures"] == [] and soak["answered"] == soak["queries"]
    assert soak["answered"] >= SOAK_SESSIONS * SOAK_MIN_QUERIES_PER_SESSION
    assert soak["answered_during_build"] > 0
    assert soak["wrong_answers"] == []
    assert psutil.pid_exists(new_pid)
    assert "OutOfMemoryError" not in settings.server_log.read_text(errors="replace")

    # 4. Every table equals the clean build's, and every row is still accounted for.
    assert fingerprints(settings) == reference
    assert unaccounted_rows(settings) == {}


# ------------------------------------------------------------------ operations


def test_a_second_process_on_the_derby_metastore_gets_a_clear_message(
    lakehouse_server: Settings,
) -> None:
    """A server started from the same state folder while the first one holds the metastore
    (here: its pid file moved aside, as if started by another checkout) explains itself."""
    pid_file = lakehouse_server.pid_file
    hidden = pid_file.with_name("thriftserver.pid.aside")
    pid_file.replace(hidden)
    try:
        env = dict(os.environ, LAKEHOUSE_PORT=str(lakehouse_server.port + 1))
        result = lakehouse_cli("server", "start", env=env)
    finally:
        hidden.replace(pid_file)
    assert result.returncode == 1
    assert f"The Derby metastore {lakehouse_server.metastore_dir} is already open" in result.stderr
    assert "a Spark Thrift server" in result.stderr
    assert "PostgreSQL metastore" in result.stderr
    assert "Traceback" not in result.stderr and "Exception" not in result.stderr
