"""The end-of-run summary: what each layer holds, what was quarantined and why, which
data tests warned, and where to look next."""

from __future__ import annotations

import json
from pathlib import Path

from lakehouse.config import PROJECT_DIR, Settings
from lakehouse.connection import connect, jdbc_url

LAYER_TABLES = [
    ("bronze", "bronze.stg_landing__sales", "sales lines received"),
    ("bronze", "bronze.stg_landing__customers", "customer rows received"),
    ("silver", "silver.int_sales_validated", "sales accepted"),
    ("silver", "silver.int_sales_quarantined", "sales quarantined"),
    ("silver", "silver.int_customers_validated", "customers accepted"),
    ("silver", "silver.int_customers_quarantined", "customers quarantined"),
    ("gold", "gold.fct_sales", "invoices in fct_sales"),
    ("gold", "gold.dim_customers", "customers in dim_customers"),
]

QUARANTINE_BY_REASON = """
select 'sales' as entity, primary_reason, count(*) from silver.int_sales_quarantined group by 2
union all
select 'customers', primary_reason, count(*) from silver.int_customers_quarantined group by 2
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


def layer_counts(settings: Settings) -> tuple[list[tuple[str, str, int]], list[tuple]]:
    with connect(settings) as connection:
        cursor = connection.cursor()
        counts = []
        for layer, table, label in LAYER_TABLES:
            cursor.execute(f"select count(*) from {table}")
            counts.append((layer, label, cursor.fetchall()[0][0]))
        cursor.execute(QUARANTINE_BY_REASON)
        return counts, list(cursor.fetchall())


def format_summary(settings: Settings, not_passed: list[dict]) -> str:
    counts, reasons = layer_counts(settings)
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
