"""Reliability: bad deliveries, a crash in the middle of a build, readers during a build,
bounded logs.

The module generates dirty landing data once (every anomaly type, a few thousand rows) into a
landing folder of its own and builds tables from it with a full refresh, into schemas of its
own (the dbt var schema_prefix `rel_`: rel_landing, rel_bronze, rel_silver, rel_gold,
rel_audit, ...), so the shared build the other test files read (bronze, silver, gold, ...)
stays as it was. The scenarios run on that build in file order: the contract breaches (which
change nothing), the crash (which leaves every table as it found it), then the odd but valid
deliveries (which add files). Each checks that nothing is lost (per delivery file, the
pipeline's own outcomes add up, and they equal the independent computation from the landing
files) and that gold only ever changes by whole, committed builds.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import independent
import psutil
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from helpers import (
    PIPELINE_INVOICES_PER_CUSTOMER,
    PIPELINE_RATES,
    differences_from_the_oracle,
    fingerprint,
    fingerprints,
    free_port,
    isolated_env,
    lakehouse_cli,
    running_jobs,
    spark_api,
    unaccounted_rows,
)

from lakehouse import server
from lakehouse.config import PROJECT_DIR, Settings, dbt_env
from lakehouse.connection import connect, query
from lakehouse.dbt_runner import dbt_executable
from lakehouse.generate import generate
from lakehouse.landing.dbt_args import dbt_args_checked

# The data each scenario generates for itself: small, but with every anomaly type.
SCENARIO_ROWS = 3_000

# Schemas of this module's builds, beside the shared build's: every dbt invocation here gets
# REL_VARS, and every query and warehouse path names the rel_ schemas.
REL = "rel_"
REL_VARS = ("--vars", f"{{schema_prefix: {REL}}}")
# The schemas a build makes (each with the prefix before it).
SCHEMAS = ("landing", "bronze", "silver", "gold", "snapshots", "reference", "audit")
# Shared by every build whatever its prefix: the on-run-end hook appends to it.
SHARED_HISTORY = "audit.db/data_test_history"


def scenario_env(settings: Settings, landing: Path) -> dict[str, str]:
    """The environment of the CLI and dbt for a scenario: the test server, its landing folder."""
    return dict(
        os.environ,
        LAKEHOUSE_STATE_DIR=str(settings.state_dir),
        LAKEHOUSE_HOST=settings.host,
        LAKEHOUSE_PORT=str(settings.port),
        LAKEHOUSE_LANDING_DIR=str(landing),
    )


def build_scenario_data(settings: Settings, landing: Path, seed: int) -> dict:
    """Generate dirty landing data into `landing` and build every table from it (full
    refresh); returns the generator's manifest."""
    manifest = generate(
        landing,
        rows=SCENARIO_ROWS,
        seed=seed,
        invoices_per_customer=PIPELINE_INVOICES_PER_CUSTOMER,
        rates=PIPELINE_RATES,
        overwrite=True,
    )
    missing = [name for name, entry in manifest["anomalies"].items() if entry["count"] == 0]
    assert missing == [], f"anomaly types not injected: {missing}"
    result = lakehouse_cli(
        "dbt", "build", "--full-refresh", *REL_VARS, env=scenario_env(settings, landing),
        timeout=1800,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert differences_from_the_oracle(settings, landing, REL) == {}
    return manifest


def commit_files(table_dir: Path) -> list[str]:
    """The Delta commits of a table: the numbered JSON files of its _delta_log."""
    return sorted(
        path.name
        for path in (table_dir / "_delta_log").iterdir()
        if re.fullmatch(r"\d{20}\.json", path.name)
    )


def all_commits(settings: Settings) -> dict[str, list[str]]:
    """Every table's Delta commits, by table folder under the warehouse."""
    return {
        str(log.parent.relative_to(settings.warehouse_dir)): commit_files(log.parent)
        for log in sorted(settings.warehouse_dir.glob("*.db/*/_delta_log"))
    }


def shared_build_commits(settings: Settings) -> dict[str, list[str]]:
    """The Delta commits of the tables outside this module's schemas (the shared build's),
    but for the test history every build appends to."""
    return {
        table: commits
        for table, commits in all_commits(settings).items()
        if not table.startswith(REL) and table != SHARED_HISTORY
    }


@pytest.fixture(scope="module", autouse=True)
def rel_schemas(request: pytest.FixtureRequest) -> Iterator[None]:
    """A clean start in the rel_ schemas (a snapshot keeps its history even through a full
    refresh), dropped again at the end; and the proof that this module wrote no table of the
    shared build, which other test files read before or after it."""
    if "lakehouse_server" not in request.fixturenames:
        yield  # only the tests that need no server were selected
        return
    settings = request.getfixturevalue("lakehouse_server")
    for schema in SCHEMAS:
        query(settings, f"drop schema if exists {REL}{schema} cascade")
    before = shared_build_commits(settings)
    yield
    after = shared_build_commits(settings)
    for schema in SCHEMAS:
        query(settings, f"drop schema if exists {REL}{schema} cascade")
    assert after == before, "this module wrote tables of the shared build"


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
def contract_landing(lakehouse_server: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A landing folder of valid deliveries, and tables built from it: built once for the
    module. The contract tests change nothing; the crash test leaves every table as it found
    it; the test of odd deliveries, last, adds files."""
    landing = tmp_path_factory.mktemp("contract-landing")
    build_scenario_data(lakehouse_server, landing, seed=21)
    return landing


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
    lakehouse_server: Settings, contract_landing: Path, case: str
) -> None:
    settings = lakehouse_server
    commits_before = all_commits(settings)
    assert any(table.startswith(f"{REL}gold.db/") for table in commits_before), commits_before
    path, expected_message = _write_broken(contract_landing, case)
    try:
        result = lakehouse_cli(
            "dbt", "build", *REL_VARS, env=scenario_env(settings, contract_landing)
        )
    finally:
        path.unlink()
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr[-2000:]
    assert expected_message in result.stderr
    assert "no table was changed" in result.stderr
    assert "Traceback" not in result.stderr
    assert "Running with dbt" not in result.stdout  # dbt never started
    # No table of any layer has a new commit: nothing was written.
    assert all_commits(settings) == commits_before


# ------------------------------------------------------- a crash, and readers during a build

# Readers: JDBC sessions, each querying gold in turn with a pause between queries (as a person
# or a dashboard leaves; back-to-back queries from 8 sessions would take most of two cores
# from the build they run beside), from before the build starts until after it ends.
SOAK_SESSIONS = 8
SOAK_THINK_TIME_S = 1.0
# Queries each session answers before the build starts; the first (it opens the session and
# warms the server up) is checked but left out of the latency figures.
SOAK_QUERIES_BEFORE_BUILD = 4
# Served throughout: some reader gets an answer at least this often while the build runs.
SOAK_MAX_GAP_S = 30.0
SOAK_QUERIES = [
    f"select count(*), sum(amount_try) from {REL}gold.fct_sales",
    f"select count(*), sum(amount_try) from {REL}gold.fct_sales "
    "where invoice_year = 2022 and invoice_month = 6",
    f"select count(*) from {REL}gold.dim_customers",
    f"select count(*) from {REL}gold.monthly_sales",
]
# The statement that writes the fact table in a full refresh (dbt-spark, Delta).
FACT_WRITE = re.compile(rf"create\s+or\s+replace\s+table\s+`?{REL}gold`?\.`?fct_sales`?\s", re.I)


def _start_dbt(settings: Settings, landing: Path, args: list[str], output=subprocess.PIPE):
    return subprocess.Popen(
        [dbt_executable(), *dbt_args_checked(landing, args)],
        cwd=PROJECT_DIR,
        env=dict(dbt_env(settings), LAKEHOUSE_LANDING_DIR=str(landing)),
        stdout=output,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _percentile(values: list[float], share: float) -> float | None:
    ordered = sorted(values)
    return ordered[round(share * (len(ordered) - 1))] if ordered else None


def _latency(values: list[float]) -> dict:
    return {
        "queries": len(values),
        "p50_s": round(statistics.median(values), 3) if values else None,
        "p95_s": round(_percentile(values, 0.95), 3) if values else None,
    }


def _soak(settings: Settings, expected: dict[str, list], start_build) -> tuple[dict, object]:
    """SOAK_SESSIONS JDBC sessions query gold from before the build until after it: the
    build starts (`start_build()`) once every session has answered SOAK_QUERIES_BEFORE_BUILD
    queries, and each session stops after a query it began once the build had ended. Every
    answer must be the committed one (a half-written table would give another count or sum).
    Returns what was measured and the build's process."""
    records: list[tuple[float, float]] = []  # (started, finished) of each answered query
    first_queries: list[tuple[float, float]] = []  # each session's first, kept apart
    failures: list[str] = []
    wrong_answers: list[str] = []
    lock = threading.Lock()
    ready = threading.Barrier(SOAK_SESSIONS + 1)  # every session answered before the build
    build_ended = threading.Event()
    deadline = time.monotonic() + 3600  # a bound, should the build hang

    def session(number: int) -> None:
        waiting = True
        try:
            with connect(settings) as connection:
                cursor = connection.cursor()
                index = 0
                while time.monotonic() < deadline:
                    last = build_ended.is_set()
                    sql = SOAK_QUERIES[(number + index) % len(SOAK_QUERIES)]
                    index += 1
                    started = time.monotonic()
                    try:
                        cursor.execute(sql)
                        answer = [tuple(row) for row in cursor.fetchall()]
                    except Exception as error:  # noqa: BLE001 - every failure is reported
                        with lock:
                            failures.append(f"{sql}: {error}"[:300])
                    else:
                        with lock:
                            timing = (started, time.monotonic())
                            (records if index > 1 else first_queries).append(timing)
                            if answer != expected[sql]:
                                wrong_answers.append(f"{sql}: {answer} != {expected[sql]}")
                    if waiting and index >= SOAK_QUERIES_BEFORE_BUILD:
                        waiting = False
                        ready.wait(timeout=600)
                    if last:
                        break
                    time.sleep(SOAK_THINK_TIME_S)
        except Exception as error:  # noqa: BLE001 - a session that could not open
            with lock:
                failures.append(f"session {number}: {error}"[:300])
            if waiting:
                ready.abort()

    threads = [threading.Thread(target=session, args=(n,)) for n in range(SOAK_SESSIONS)]
    for thread in threads:
        thread.start()
    try:
        ready.wait(timeout=900)
    except threading.BrokenBarrierError:
        pass
    build_started = time.monotonic()
    build = start_build()
    build.wait(timeout=1800)
    build_finished = time.monotonic()
    build_ended.set()
    for thread in threads:
        thread.join()

    everything = sorted(records + first_queries, key=lambda record: record[1])
    finishes = [finished for _, finished in everything]
    # The longest stretch of the build without an answered query.
    marks = [build_started, *(t for t in finishes if build_started < t < build_finished)]
    marks.append(build_finished)
    gaps = [later - earlier for earlier, later in zip(marks, marks[1:], strict=False)]
    idle = [end - begin for begin, end in records if end < build_started or begin > build_finished]
    during = [
        end - begin for begin, end in records if begin < build_finished and end > build_started
    ]
    return {
        "sessions": SOAK_SESSIONS,
        "think_time_s": SOAK_THINK_TIME_S,
        "queries": len(everything) + len(failures),
        "answered": len(everything),
        "failures": failures,
        "wrong_answers": wrong_answers,
        "build_s": round(build_finished - build_started, 1),
        "first_query_before_build_s": round(build_started - min(b for b, _ in everything), 1)
        if everything
        else None,
        "last_answer_after_build_s": round(max(finishes) - build_finished, 1)
        if everything
        else None,
        "longest_gap_during_build_s": round(max(gaps), 1),
        "latency_all": _latency([end - begin for begin, end in records]),
        "latency_during_build": _latency(during),
        "latency_without_build": _latency(idle),
    }, build


def _peak_rss(pid: int, stop: threading.Event, peak: list[int]) -> None:
    try:
        process = psutil.Process(pid)
        while not stop.is_set():
            peak[0] = max(peak[0], process.memory_info().rss)
            stop.wait(0.5)
    except psutil.Error:
        pass


def _kill_while_writing_the_fact(api: str, pid: int, build: subprocess.Popen) -> dict:
    """Watch the server's running Spark jobs; SIGKILL its process group as soon as a job of
    the statement writing rel_gold.fct_sales runs. Returns that job, as last seen running."""
    while build.poll() is None:
        for job in running_jobs(api):
            description = job.get("description") or ""
            # Delta's own jobs ("Delta: ... Compute snapshot ...") may belong to the commit
            # that just happened; the statement's own job writes the data, before its commit.
            if not description.startswith("Delta:") and FACT_WRITE.search(description):
                os.killpg(pid, signal.SIGKILL)
                return job
        time.sleep(0.02)
    raise AssertionError(f"the build ended without a running job writing {REL}gold.fct_sales")


def test_a_crash_mid_build_loses_nothing_and_readers_never_see_half_written_gold(
    lakehouse_server: Settings, contract_landing: Path, artifacts_dir: Path
) -> None:
    """On the module's built deliveries, which the contract tests left unchanged."""
    settings, landing = lakehouse_server, contract_landing
    reference = fingerprints(settings, prefix=REL)
    expected = {sql: [tuple(row) for row in query(settings, sql)] for sql in SOAK_QUERIES}
    fact_dir = settings.warehouse_dir / f"{REL}gold.db" / "fct_sales"
    fact_commits = commit_files(fact_dir)
    assert fact_commits, fact_dir

    # 1. Kill the server (SIGKILL, its whole process group) while a full-refresh build writes
    #    the fact table: while the server itself reports the writing job as running.
    pid = server.read_pid_file(settings).pid
    api = spark_api(pid)
    build = _start_dbt(settings, landing, ["build", "--full-refresh", *REL_VARS])
    output = []
    reader = threading.Thread(target=lambda: output.extend(build.stdout))
    reader.start()
    job = _kill_while_writing_the_fact(api, pid, build)
    try:
        build.wait(timeout=600)
    except subprocess.TimeoutExpired:
        build.kill()
        build.wait()
    reader.join()
    print(
        f"killed the server during job {job['jobId']}: {' '.join(job['description'].split())[:200]}"
    )
    assert job["status"] == "RUNNING"
    assert build.returncode != 0
    assert f"START sql incremental model {REL}gold.fct_sales" in "".join(output)
    assert settings.pid_file.exists()  # left behind, like the Derby lock files
    assert (settings.metastore_dir / "db.lck").exists()
    # The interrupted write left no commit: the log ends at the last committed version.
    assert commit_files(fact_dir) == fact_commits

    # 2. `server start` copes with the stale pid file and Derby's lock files.
    restarted = lakehouse_cli("server", "start", env=scenario_env(settings, landing), timeout=600)
    assert restarted.returncode == 0, restarted.stdout + restarted.stderr
    assert f"stale pid file (pid {pid})" in restarted.stdout
    new_pid = server.read_pid_file(settings).pid
    assert new_pid != pid
    # The fact table reads its last committed version, the clean build's.
    assert fingerprint(settings, f"{REL}gold.fct_sales") == reference[f"{REL}gold.fct_sales"]

    # 3. The next build completes while 8 JDBC sessions read gold, from before it starts until
    #    after it ends: no failed query, and every answer is the committed state (the data
    #    did not change, so it is the reference).
    stop, peak = threading.Event(), [0]
    sampler = threading.Thread(target=_peak_rss, args=(new_pid, stop, peak))
    sampler.start()
    log_path = artifacts_dir / "reliability-rebuild.log"
    with log_path.open("w") as log:
        soak, rebuild = _soak(
            settings, expected, lambda: _start_dbt(settings, landing, ["build", *REL_VARS], log)
        )
    output_text = log_path.read_text()
    stop.set()
    sampler.join()
    soak["server_peak_rss_mb"] = round(peak[0] / 2**20)
    soak["driver_memory"] = settings.driver_memory
    soak["scheduler_mode"] = server.spark_confs(settings)["spark.scheduler.mode"]
    soak["crash"] = {
        "killed_during_job": job["jobId"],
        "job_status_when_killed": job["status"],
        "job_description": " ".join(job["description"].split())[:300],
        "fct_sales_commits_before_and_after": fact_commits,
    }
    (artifacts_dir / "soak.json").write_text(json.dumps(soak, indent=2) + "\n")
    summary = {k: v for k, v in soak.items() if k not in ("failures", "wrong_answers")}
    print(f"soak: {json.dumps(summary)}")

    assert rebuild.returncode == 0, output_text[-4000:]
    assert soak["failures"] == [] and soak["answered"] == soak["queries"]
    assert soak["wrong_answers"] == []
    assert soak["first_query_before_build_s"] > 0
    assert soak["last_answer_after_build_s"] > 0
    assert soak["longest_gap_during_build_s"] <= SOAK_MAX_GAP_S, summary
    assert psutil.pid_exists(new_pid)
    assert "OutOfMemoryError" not in settings.server_log.read_text(errors="replace")

    # 4. Every table equals the clean build's, and every row is still accounted for.
    assert fingerprints(settings, prefix=REL) == reference
    assert unaccounted_rows(settings, REL) == {}
    assert differences_from_the_oracle(settings, landing, REL) == {}


# ------------------------------------------------------------------ deliveries the build copes with


def test_odd_but_valid_deliveries_load_with_warnings_and_lose_nothing(
    lakehouse_server: Settings, contract_landing: Path
) -> None:
    """On the module's built deliveries (the last test to use them: it adds files)."""
    settings, landing = lakehouse_server, contract_landing
    sales_dir, customers_dir = landing / "sales", landing / "customers"
    prices = independent.unit_prices()
    ((fact_before,),) = query(settings, f"select count(*) from {REL}gold.fct_sales")
    old_facts = fingerprint_where(settings, f"not ({NEW_INVOICES})")
    customers = sorted(
        row[0]
        for row in query(settings, f"select customer_id from {REL}gold.dim_customers limit 5")
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

    result = lakehouse_cli(
        "dbt", "build", *REL_VARS, env=scenario_env(settings, landing), timeout=1200
    )
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
        query(
            settings,
            f"select _source_file, count(*) from {REL}bronze.stg_landing__sales group by 1",
        )
    )
    assert "sales_empty.csv" not in bronze_files and "sales_header_only.csv" not in bronze_files
    assert bronze_files["sales_with_extra_columns.csv"] == 10
    assert bronze_files["sales_with_bad_lines.csv"] == 5
    assert bronze_files["sales_data_resent.csv"] == bronze_files["sales_data.csv"]

    # Extra columns ignored, the required ones read by name wherever they stand.
    loaded = query(
        settings,
        "select invoice_no, customer_id, category, quantity, amount_try, invoice_date "
        f"from {REL}gold.fct_sales where {NEW_INVOICES} and invoice_no like 'I81%' "
        "order by invoice_no",
    )
    assert [(row[0], row[1], row[2], row[3]) for row in loaded] == [
        (f"I81{n:05d}", customers[n % len(customers)], "Books", n % 5 + 1) for n in range(10)
    ]
    assert all(str(row[5]) == "2023-03-10" for row in loaded)
    new_customers = query(
        settings,
        f"select customer_id, age from {REL}gold.dim_customers "
        "where customer_id like 'C81000%' order by 1",
    )
    assert [(row[0], int(row[1])) for row in new_customers] == [("C810001", 41), ("C810002", 29)]

    # The long and malformed lines are quarantined with a reason; the good line loads.
    quarantined = dict(
        query(
            settings,
            f"select invoice_no, primary_reason from {REL}silver.int_sales_quarantined "
            "where _source_file = 'sales_with_bad_lines.csv'",
        )
    )
    assert quarantined == {
        "I8200001": "unknown_mall",
        "I8200002": "malformed_line",
        "I8200003": "malformed_line",
        "I8200004": "malformed_line",
    }
    assert query(
        settings, f"select count(*) from {REL}gold.fct_sales where invoice_no = 'I8200010'"
    ) == [(1,)]

    # The re-sent file changed nothing: its rows collapse onto the first delivery's.
    ((resent_collapsed,),) = query(
        settings,
        f"select count(*) from {REL}silver.int_sales_checked "
        "where _source_file = 'sales_data_resent.csv' and outcome in ('collapsed', 'superseded')",
    )
    assert resent_collapsed == bronze_files["sales_data_resent.csv"]
    assert fingerprint_where(settings, f"not ({NEW_INVOICES})") == old_facts
    ((fact_after,),) = query(settings, f"select count(*) from {REL}gold.fct_sales")
    assert fact_after == fact_before + 10 + 1

    assert unaccounted_rows(settings, REL) == {}
    assert differences_from_the_oracle(settings, landing, REL) == {}


def fingerprint_where(settings: Settings, condition: str) -> tuple:
    ((count, checksum),) = query(
        settings,
        "select count(*), coalesce(sum(xxhash64(invoice_no, customer_id, category, "
        "shopping_mall, invoice_date, quantity, amount_try)), 0) "
        f"from {REL}gold.fct_sales where {condition}",
    )
    return count, checksum


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


SUFFIXES = ("", ".1", ".2", ".3")


def test_each_start_keeps_the_three_previous_console_outputs(tmp_path: Path) -> None:
    """server.start rotates the console output with _rotate before each start: after five
    starts, the current output and exactly three older ones, newest first."""
    out = tmp_path / "thriftserver.out"
    for start in range(1, 6):
        server._rotate(out)
        out.write_text(f"start {start}\n")
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "thriftserver.out",
        "thriftserver.out.1",
        "thriftserver.out.2",
        "thriftserver.out.3",
    ]
    assert [(tmp_path / f"thriftserver.out{suffix}").read_text() for suffix in SUFFIXES] == [
        "start 5\n",
        "start 4\n",
        "start 3\n",
        "start 2\n",
    ]


def test_the_server_log_rolls_at_its_size_keeping_five_older_files(
    lakehouse_server: Settings, tmp_path: Path
) -> None:
    """A server started with LAKEHOUSE_LOG_MAX_SIZE=1KB: its log (about 25 KB) rolls many
    times during the
    start alone and only the 5 latest older files are kept; the start also rotates the console
    outputs left by earlier starts (3 kept)."""
    state = tmp_path / "state"
    shutil.copytree(lakehouse_server.jars_dir, state / "jars")
    logs = state / "logs"
    logs.mkdir()
    for index, name in enumerate(
        ["thriftserver.out", *(f"thriftserver.out.{n}" for n in (1, 2, 3))]
    ):
        (logs / name).write_text(f"earlier start {index}\n")
    env = isolated_env(state, LAKEHOUSE_PORT=str(free_port()), LAKEHOUSE_LOG_MAX_SIZE="1KB")
    started = lakehouse_cli("server", "start", "--master", "local[1]", env=env, timeout=600)
    try:
        assert started.returncode == 0, started.stdout + started.stderr
    finally:
        stopped = lakehouse_cli("server", "stop", env=env)
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr

    server_logs = sorted(path.name for path in logs.glob("thriftserver.log*"))
    assert server_logs == ["thriftserver.log", *(f"thriftserver.log.{n}" for n in range(1, 6))]
    for name in server_logs:  # rolled at 1 KB (the line that crosses it is kept whole)
        assert (logs / name).stat().st_size < 8 * 1024, name
    # More than 5 roll-overs happened: the start's first lines are in none of the kept files.
    kept = "".join((logs / name).read_text(errors="replace") for name in server_logs)
    assert "Running Spark version" not in kept

    outputs = sorted(path.name for path in logs.glob("thriftserver.out*"))
    assert outputs == ["thriftserver.out", *(f"thriftserver.out.{n}" for n in (1, 2, 3))]
    assert [(logs / f"thriftserver.out.{n}").read_text() for n in (1, 2, 3)] == [
        "earlier start 0\n",
        "earlier start 1\n",
        "earlier start 2\n",
    ]
    assert "earlier start" not in (logs / "thriftserver.out").read_text()
