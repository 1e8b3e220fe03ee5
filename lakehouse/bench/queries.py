"""Analysts' queries over the Thrift (HiveServer2/JDBC) protocol; the fact's scan metrics."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from lakehouse.analyst import analysis_names
from lakehouse.bench.stats import summary
from lakehouse.config import Settings
from lakehouse.connection import connect

FACT = "gold.fct_sales"
# The one-month query: a month in the middle of the data, filtered on the partition columns.
MONTH = (2022, 6)
ONE_MONTH_SQL = f"""
select shopping_mall, count(*) as invoice_count, sum(amount_try) as revenue_try
from {FACT}
where invoice_year = {MONTH[0]} and invoice_month = {MONTH[1]}
group by shopping_mall
order by shopping_mall
"""


def compiled_queries(compiled_dir: Path) -> dict[str, str]:
    """The compiled analyses (name -> SQL) plus the one-month query."""
    queries = {}
    for name in analysis_names():
        sql = (compiled_dir / f"{name}.sql").read_text().strip().rstrip(";")
        queries[name] = sql
    queries["one_month_by_mall"] = ONE_MONTH_SQL.strip()
    return queries


def _timed(cursor: Any, sql: str) -> tuple[float, int]:
    started = time.perf_counter()
    cursor.execute(sql)
    rows = cursor.fetchall()  # the client receives every row, as an analyst's tool would
    return time.perf_counter() - started, len(rows)


def time_queries(settings: Settings, queries: dict[str, str], repeats: int) -> dict[str, dict]:
    """Each query once to warm up, then `repeats` timed runs: seconds, p50, p95, rows."""
    results = {}
    with connect(settings) as connection:
        cursor = connection.cursor()
        for name, sql in queries.items():
            warmup_s, row_count = _timed(cursor, sql)
            runs = [_timed(cursor, sql)[0] for _ in range(repeats)]
            results[name] = {
                "warmup_s": warmup_s,
                "runs_s": runs,
                "rows": row_count,
                **summary(runs),
            }
    return results


def scan_metrics(settings: Settings) -> dict:
    """Files of the fact (Delta's table detail) against the files a one-month filter reads."""
    with connect(settings) as connection:
        cursor = connection.cursor()
        cursor.execute(f"describe detail {FACT}")
        columns = [column[0] for column in cursor.description]
        detail = dict(zip(columns, cursor.fetchall()[0], strict=True))
        cursor.execute(
            # _metadata.file_path: the file each row came from (input_file_name() is not
            # allowed inside an aggregate).
            f"select count(distinct _metadata.file_path) from {FACT} "
            f"where invoice_year = {MONTH[0]} and invoice_month = {MONTH[1]}"
        )
        month_files = cursor.fetchall()[0][0]
        cursor.execute(f"select count(distinct invoice_year, invoice_month) from {FACT}")
        months = cursor.fetchall()[0][0]
    num_files = int(detail["numFiles"])
    return {
        "month": f"{MONTH[0]}-{MONTH[1]:02d}",
        "fact_files": num_files,
        "fact_bytes": int(detail["sizeInBytes"]),
        "partition_columns": str(detail.get("partitionColumns")),
        "months": int(months),
        "month_files": int(month_files),
        "share_read": int(month_files) / num_files if num_files else None,
    }
