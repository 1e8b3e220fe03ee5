"""Helpers the test modules share (constants, table fingerprints, the CLI as a user runs it,
the server's Spark monitoring API). Fixtures live in conftest.py; test modules import
helpers from here, never from each other."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import psutil

from lakehouse.config import PROJECT_DIR, Settings
from lakehouse.connection import query

ARTIFACTS_DIR = Path(__file__).resolve().parents[1] / "artifacts"

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


def fingerprints(settings: Settings, schemas: tuple[str, ...] = LAYERS, prefix: str = "") -> dict:
    """Every table's fingerprint, by name, in `schemas` (each with `prefix` before it: the
    schemas of a build with the dbt var schema_prefix)."""
    return {
        table: fingerprint(settings, table)
        for schema in schemas
        for table in tables(settings, prefix + schema)
    }


def outcomes_per_file(
    settings: Settings, prefix: str = ""
) -> dict[tuple[str, str], dict[str, int]]:
    """(entity, source file) -> rows received in bronze and their outcomes in silver:
    accepted (int_*_validated), quarantined (int_*_quarantined), collapsed and superseded
    (int_*_checked.outcome). Zero counts are left out, as in independent.outcomes_per_file.
    `prefix`: the schema_prefix of the build read (its schemas are {prefix}bronze, ...)."""
    bronze, silver = f"{prefix}bronze", f"{prefix}silver"
    counts: dict[tuple[str, str], dict[str, int]] = {}
    for entity, staged in (
        ("sales", "stg_landing__sales"),
        ("customers", "stg_landing__customers"),
    ):
        for outcome, sql in (
            ("received", f"select _source_file, count(*) from {bronze}.{staged}"),
            ("accepted", f"select _source_file, count(*) from {silver}.int_{entity}_validated"),
            (
                "quarantined",
                f"select _source_file, count(*) from {silver}.int_{entity}_quarantined",
            ),
            (
                "collapsed",
                f"select _source_file, count(*) from {silver}.int_{entity}_checked "
                "where outcome = 'collapsed'",
            ),
            (
                "superseded",
                f"select _source_file, count(*) from {silver}.int_{entity}_checked "
                "where outcome = 'superseded'",
            ),
        ):
            for source_file, count in query(settings, sql + " group by _source_file"):
                if count:
                    counts.setdefault((entity, source_file), {})[outcome] = int(count)
    return counts


def unaccounted_rows(settings: Settings, prefix: str = "") -> dict[str, tuple[int, int]]:
    """Per entity and source file, where rows received != rows in silver + quarantined +
    collapsed or superseded duplicates (the pipeline's own bookkeeping). Empty when nothing
    was lost. `prefix`: as in outcomes_per_file."""
    gaps = {}
    for (entity, source_file), counts in outcomes_per_file(settings, prefix).items():
        received = counts.get("received", 0)
        kept = sum(counts.get(outcome, 0) for outcome in OUTCOMES)
        if received != kept:
            gaps[f"{entity}:{source_file}"] = (received, kept)
    return gaps


OUTCOMES = ("accepted", "quarantined", "collapsed", "superseded")


def differences_from_the_oracle(settings: Settings, landing_dir: Path, prefix: str = "") -> dict:
    """Per entity and delivery file, the counts (received and each outcome) where the tables
    and the independent computation from the landing files (pytests/support/independent.py)
    disagree: {(entity, file): {outcome: (in the tables, expected)}}. Empty when they agree.
    `prefix`: as in outcomes_per_file."""
    import independent

    actual = outcomes_per_file(settings, prefix)
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


LAKEHOUSE = [sys.executable, "-m", "lakehouse.cli"]


def lakehouse_cli(*args: str, env: dict[str, str] | None = None, timeout: int = 300):
    """Run the CLI as a user would; returns the completed process with text output."""
    return subprocess.run(
        [*LAKEHOUSE, *args],
        cwd=PROJECT_DIR,
        env=env if env is not None else dict(os.environ),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def isolated_env(state_dir: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ, LAKEHOUSE_STATE_DIR=str(state_dir))
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def spark_api(pid: int) -> str:
    """The REST API of the server's Spark application (on its UI port, found among the
    ports the server process listens on): http://127.0.0.1:PORT/api/v1/applications/ID."""
    ports = sorted(
        connection.laddr.port
        for connection in psutil.Process(pid).net_connections("tcp")
        if connection.status == psutil.CONN_LISTEN
    )
    for port in ports:
        base = f"http://127.0.0.1:{port}/api/v1/applications"
        try:
            with urllib.request.urlopen(base, timeout=5) as response:
                applications = json.load(response)
        except (OSError, ValueError):
            continue
        return f"{base}/{applications[0]['id']}"
    raise AssertionError(f"no Spark UI among the ports of pid {pid}: {ports}")


def running_jobs(api: str) -> list[dict]:
    with urllib.request.urlopen(f"{api}/jobs?status=running", timeout=5) as response:
        return json.load(response)
