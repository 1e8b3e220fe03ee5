"""Analysts' queries over the Thrift (HiveServer2/JDBC) protocol; the files a query reads."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from lakehouse.analyst import analysis_names
from lakehouse.bench import spark_metrics
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


def unpruned_sql(sql: str) -> str:
    """The same query with its month filter on `invoice_date` instead of the partition
    columns: the same rows, but neither partition pruning nor Delta's min/max file skipping
    can use a filter on date_trunc(...), so every file of the table is read."""
    month_filter = f"invoice_year = {MONTH[0]} and invoice_month = {MONTH[1]}"
    if month_filter not in sql:
        raise ValueError("the query has no filter on the partition columns to replace")
    first_day = f"date'{MONTH[0]}-{MONTH[1]:02d}-01'"
    return sql.replace(month_filter, f"date_trunc('month', invoice_date) = {first_day}")


def _files_read(settings: Settings, cursor: Any, sql: str, table: str) -> tuple[list, dict]:
    """The query's rows, and the files Spark's scan of `table` read (its SQL metrics)."""
    statement, tag = spark_metrics.tagged(sql)
    cursor.execute(statement)
    rows = cursor.fetchall()
    return rows, spark_metrics.files_read(settings, tag, table)


def scan_metrics(settings: Settings, table: str = FACT, sql: str = ONE_MONTH_SQL) -> dict:
    """Files of the table (Delta's table detail) against the files Spark's scan read for the
    one-month query (the scan's SQL metric "number of files read"); and, as a control, the
    files read by the same query with its filter where pruning cannot use it."""
    with connect(settings) as connection:
        cursor = connection.cursor()
        cursor.execute(f"describe detail {table}")
        columns = [column[0] for column in cursor.description]
        detail = dict(zip(columns, cursor.fetchall()[0], strict=True))
        pruned_rows, pruned = _files_read(settings, cursor, sql, table)
        unpruned_rows, unpruned = _files_read(settings, cursor, unpruned_sql(sql), table)
        cursor.execute(f"select count(distinct invoice_year, invoice_month) from {table}")
        months = cursor.fetchall()[0][0]
    num_files = int(detail["numFiles"])
    return {
        "month": f"{MONTH[0]}-{MONTH[1]:02d}",
        "fact_files": num_files,
        "fact_bytes": int(detail["sizeInBytes"]),
        "partition_columns": str(detail.get("partitionColumns")),
        "months": int(months),
        # From Spark's SQL metrics of the scan, not from the rows returned.
        "month_files": pruned["files_read"],
        "month_partitions": pruned["partitions_read"],
        "share_read": pruned["files_read"] / num_files if num_files else None,
        "unpruned_files": unpruned["files_read"],
        "same_rows_unpruned": sorted(map(tuple, pruned_rows)) == sorted(map(tuple, unpruned_rows)),
        "source": f"Spark SQL metric '{spark_metrics.FILES_READ}' of the scan",
    }
