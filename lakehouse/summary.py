"""The end-of-run summary: what each layer holds, what was quarantined and why, which
data tests warned, and where to look next."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from lakehouse.config import PROJECT_DIR, Settings
from lakehouse.connection import connect, jdbc_url, query
from lakehouse.quality import HISTORY_TABLE

# Layer, table (in the layer's schema), what its rows are.
LAYER_TABLES = [
    ("bronze", "stg_landing__sales", "sales lines received"),
    ("bronze", "stg_landing__customers", "customer rows received"),
    ("silver", "int_sales_validated", "sales accepted"),
    ("silver", "int_sales_quarantined", "sales quarantined"),
    ("silver", "int_customers_validated", "customers accepted"),
    ("silver", "int_customers_quarantined", "customers quarantined"),
    ("gold", "fct_sales", "invoices in fct_sales"),
    ("gold", "dim_customers", "customers in dim_customers"),
]

# {silver}: the silver schema, with the build's schema_prefix before it.
QUARANTINE_BY_REASON = """
select 'sales' as entity, primary_reason, count(*) from {silver}.int_sales_quarantined group by 2
union all
select 'customers', primary_reason, count(*) from {silver}.int_customers_quarantined group by 2
order by 1, 3 desc
"""


def test_results(run_results: Path = PROJECT_DIR / "target" / "run_results.json") -> list[dict]:
    """Data tests that did not pass in the last dbt invocation: name, status, failing rows."""
    if not run_results.exists():
        return []
    results = json.loads(run_results.read_text())["results"]
    return [
        {"test": r["unique_id"].split(".")[2], "status": r["status"], "failures": r["failures"]}
        for r in results
        if r["unique_id"].startswith("test.") and r["status"] in ("warn", "fail", "error")
    ]


def tests_not_passed_since(settings: Settings, since: datetime) -> list[dict]:
    """Data tests that did not pass in the dbt invocations started at or after `since` (UTC),
    from the quality history every build appends to: what a scheduler's run of many dbt
    invocations (one per model) warned about. A test run twice (a retried task) counts once,
    with its latest result."""
    rows = query(
        settings,
        f"""
        select test_name, status, failures
        from (
            select
                test_name, status, failures,
                row_number() over (
                    partition by test_unique_id order by recorded_at desc
                ) as newest_first
            from {HISTORY_TABLE}
            where run_started_at >= timestamp '{since:%Y-%m-%d %H:%M:%S}'
                and test_kind != 'unit_test'
        )
        where newest_first = 1 and status in ('warn', 'fail', 'error')
        order by status, test_name
        """,
    )
    return [{"test": name, "status": status, "failures": failures}
            for name, status, failures in rows]  # fmt: skip


def summary_document(settings: Settings, not_passed: list[dict], schema_prefix: str = "") -> dict:
    """The summary as data: rows per layer, quarantine by reason, tests that did not pass."""
    counts, reasons = layer_counts(settings, schema_prefix)
    return {
        "rows_per_layer": [
            {"layer": layer, "rows": label, "count": count} for layer, label, count in counts
        ],
        "quarantined_by_reason": [
            {"entity": entity, "reason": reason, "count": count}
            for entity, reason, count in reasons
        ],
        "tests_not_passed": not_passed,
    }


def layer_counts(
    settings: Settings, schema_prefix: str = ""
) -> tuple[list[tuple[str, str, int]], list[tuple]]:
    """Rows per layer table (layer, label, rows) and quarantined rows by entity and reason."""
    with connect(settings) as connection:
        cursor = connection.cursor()
        counts = []
        for layer, table, label in LAYER_TABLES:
            cursor.execute(f"select count(*) from {schema_prefix}{layer}.{table}")
            counts.append((layer, label, cursor.fetchall()[0][0]))
        cursor.execute(QUARANTINE_BY_REASON.format(silver=f"{schema_prefix}silver"))
        return counts, list(cursor.fetchall())


def format_summary(settings: Settings, document: dict) -> str:
    """The summary (summary_document) as text, with where to look next."""
    counts = [(row["layer"], row["rows"], row["count"]) for row in document["rows_per_layer"]]
    reasons = [(row["entity"], row["reason"], row["count"])
               for row in document["quarantined_by_reason"]]  # fmt: skip
    not_passed = document["tests_not_passed"]
    lines = ["Rows per layer:"]
    lines += [f"  {layer:<7}{label:<30}{count:>12,}" for layer, label, count in counts]
    lines.append("Quarantined rows by reason (silver.int_*_quarantined):")
    lines += [f"  {entity:<10}{reason:<30}{count:>9,}" for entity, reason, count in reasons]
    if not reasons:
        lines.append("  none")
    warned = [t for t in not_passed if t["status"] == "warn"]
    failed = [t for t in not_passed if t["status"] != "warn"]
    lines.append(f"Data tests: {len(warned)} warned, {len(failed)} failed "
                 "(failing rows kept in the `audit` schema):")  # fmt: skip
    lines += [f"  {t['status']:<6}{t['test']}  ({t['failures']} rows)" for t in not_passed]
    lines += [
        "",
        f"JDBC (beeline, DBeaver):  {jdbc_url(settings)}",
        "Query gold:               .venv/bin/lakehouse dbt show --inline "
        "'select * from gold.monthly_sales'",
        "Docs and lineage:         .venv/bin/lakehouse docs   (http://127.0.0.1:8080)",
        "Server status / logs:     .venv/bin/lakehouse server status | logs",
        "Stop the server:          .venv/bin/lakehouse server stop   (or make stop)",
    ]
    return "\n".join(lines)
