"""Shared fixtures: one Thrift server for the whole test session.

The tests use their own state folder and port (LAKEHOUSE_TEST_STATE_DIR, default
.lakehouse-test/; LAKEHOUSE_TEST_PORT, default 10011), so a developer's own server on 10000
and its tables are never touched. A test server already running there is reused; one the
session started is stopped at the end (set LAKEHOUSE_KEEP_TEST_SERVER=1 to keep it up
between runs while iterating).
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from lakehouse import server
from lakehouse.config import PROJECT_DIR, Settings, load_settings
from lakehouse.connection import query

ARTIFACTS_DIR = Path(__file__).resolve().parent / "artifacts"

# The gold models analysts query (models/marts).
GOLD_MODELS = (
    "dim_customers",
    "dim_dates",
    "dim_shopping_malls",
    "dim_product_categories",
    "fct_sales",
    "sales_by_customer",
    "monthly_sales",
    "sales_by_segment",
    "price_outlier_invoices",
)


def test_settings() -> Settings:
    state_dir = Path(
        os.environ.get("LAKEHOUSE_TEST_STATE_DIR", str(PROJECT_DIR / ".lakehouse-test"))
    ).resolve()
    port = int(os.environ.get("LAKEHOUSE_TEST_PORT", "10011"))
    return load_settings().with_overrides(state_dir=state_dir, port=port, host="127.0.0.1")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that needs the shared server, even through another fixture, is marked
    `server`, so `make test-fast` (pytest -m "not server") runs none of them."""
    for item in items:
        if "lakehouse_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.server)


@pytest.fixture(scope="session")
def lakehouse_server() -> Settings:
    """Settings of a running test server (started once, reused by every test)."""
    settings = test_settings()
    # Point everything this process starts (dbt, the CLI) at the test server.
    os.environ["LAKEHOUSE_STATE_DIR"] = str(settings.state_dir)
    os.environ["LAKEHOUSE_PORT"] = str(settings.port)
    os.environ["LAKEHOUSE_HOST"] = settings.host
    info, already_running = server.start(settings)
    yield settings
    if not already_running and os.environ.get("LAKEHOUSE_KEEP_TEST_SERVER") != "1":
        server.stop(settings)


# ------------------------------------------------------------------ what the tables hold

LAYERS = ("bronze", "silver", "gold")
# Columns that say when a row was loaded or checked, not what it holds.
VOLATILE_COLUMNS = {"_loaded_at", "_checked_at", "loaded_at"}


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


def outcomes_per_file(settings: Settings) -> dict[tuple[str, str], dict[str, int]]:
    """(entity, source file) -> rows received in bronze and their outcomes in silver:
    accepted (int_*_validated), quarantined (int_*_quarantined), collapsed and superseded
    (int_*_checked.outcome). Zero counts are left out, as in independent.outcomes_per_file."""
    counts: dict[tuple[str, str], dict[str, int]] = {}
    for entity, bronze in (
        ("sales", "stg_landing__sales"),
        ("customers", "stg_landing__customers"),
    ):
        for outcome, sql in (
            ("received", f"select _source_file, count(*) from bronze.{bronze}"),
            ("accepted", f"select _source_file, count(*) from silver.int_{entity}_validated"),
            ("quarantined", f"select _source_file, count(*) from silver.int_{entity}_quarantined"),
            (
                "collapsed",
                f"select _source_file, count(*) from silver.int_{entity}_checked "
                "where outcome = 'collapsed'",
            ),
            (
                "superseded",
                f"select _source_file, count(*) from silver.int_{entity}_checked "
                "where outcome = 'superseded'",
            ),
        ):
            for source_file, count in query(settings, sql + " group by _source_file"):
                if count:
                    counts.setdefault((entity, source_file), {})[outcome] = int(count)
    return counts


def unaccounted_rows(settings: Settings) -> dict[str, tuple[int, int]]:
    """Per entity and source file, where rows received != rows in silver + quarantined +
    collapsed or superseded duplicates (the pipeline's own bookkeeping). Empty when nothing
    was lost."""
    gaps = {}
    for (entity, source_file), counts in outcomes_per_file(settings).items():
        received = counts.get("received", 0)
        kept = sum(counts.get(outcome, 0) for outcome in OUTCOMES)
        if received != kept:
            gaps[f"{entity}:{source_file}"] = (received, kept)
    return gaps


OUTCOMES = ("accepted", "quarantined", "collapsed", "superseded")


def differences_from_the_oracle(settings: Settings, landing_dir: Path) -> dict:
    """Per entity and delivery file, the counts (received and each outcome) where the tables
    and the independent computation from the landing files (pytests/independent.py)
    disagree: {(entity, file): {outcome: (in the tables, expected)}}. Empty when they agree."""
    import independent

    actual = outcomes_per_file(settings)
    expected = independent.outcomes_per_file(landing_dir)
    differences = {}
    for key in sorted(set(actual) | set(expected)):
        found, wanted = actual.get(key, {}), expected.get(key, {})
        wrong = {
            outcome: (found.get(outcome, 0), wanted.get(outcome, 0))
            for outcome in ("received", *OUTCOMES)
            if found.get(outcome, 0) != wanted.get(outcome, 0)
        }
        if wrong:
            differences[key] = wrong
    return differences


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Where tests keep what a person may want to look at afterwards (screenshots, reports)."""
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    return ARTIFACTS_DIR


# The dataset every pipeline test shares: small enough for a 2-core machine, dirty enough
# that every anomaly type appears, customers repeating so customer-level marts mean something.
PIPELINE_ROWS = 20_000
PIPELINE_SEED = 7
PIPELINE_INVOICES_PER_CUSTOMER = 3
PIPELINE_RATES = {"malformed_line": 0.002, "conflicting_duplicate_invoice": 0.002}


@dataclass
class BuiltPipeline:
    settings: Settings
    landing_dir: Path
    manifest: dict
    # Everything `lakehouse run` printed: its steps, dbt's log lines, the doctor's table.
    build_output: str
    # The end-of-run summary: what follows the last "==> Done in" line.
    summary: str
    # The build's invocation in audit.data_test_history (later builds add their own).
    build_invocation_id: str


@pytest.fixture(scope="session")
def built_pipeline(lakehouse_server: Settings) -> BuiltPipeline:
    """Generated landing data and one run of the main job on it: `lakehouse run
    --full-refresh` (dbt build, docs generate, the doctor's checks, the summary)."""
    from lakehouse.generate import generate

    landing_dir = lakehouse_server.landing_dir
    os.environ["LAKEHOUSE_LANDING_DIR"] = str(landing_dir)
    manifest = generate(
        landing_dir,
        rows=PIPELINE_ROWS,
        seed=PIPELINE_SEED,
        invoices_per_customer=PIPELINE_INVOICES_PER_CUSTOMER,
        rates=PIPELINE_RATES,
        overwrite=True,
    )
    # The job finds the test server (state folder, host, port) and the landing folder in the
    # environment that lakehouse_server and this fixture set; the landing folder is not empty,
    # so it builds this data set. Unbuffered, the job's own lines stay in order with dbt's.
    run = subprocess.run(
        [sys.executable, "-m", "lakehouse.cli", "run", "--full-refresh"],
        cwd=PROJECT_DIR,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-3000:]
    _, done, after = run.stdout.rpartition("\n==> Done in")
    assert done, f"no summary in the output of `lakehouse run`:\n{run.stdout[-3000:]}"
    summary = after.partition("\n")[2]
    ((invocation_id,),) = query(
        lakehouse_server,
        "select invocation_id from audit.data_test_history "
        "where dbt_command = 'build' order by run_started_at desc limit 1",
    )
    return BuiltPipeline(
        lakehouse_server, landing_dir, manifest, run.stdout, summary, invocation_id
    )
