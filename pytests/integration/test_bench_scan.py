"""The benchmark's scan metrics against the shared server: the files a query reads come from
Spark's own metrics and drop only when partition pruning applies."""

from __future__ import annotations

from lakehouse.bench import queries
from lakehouse.config import Settings
from lakehouse.connection import query


def test_files_read_come_from_spark_and_drop_only_when_pruning_applies(
    lakehouse_server: Settings,
) -> None:
    # A small table laid out like the fact: 24 months, partitioned by year and month.
    table = "bench_scan_check.fct_sales"
    query(lakehouse_server, "create schema if not exists bench_scan_check")
    query(
        lakehouse_server,
        f"""
        create or replace table {table} using delta
        partitioned by (invoice_year, invoice_month)
        as select
            element_at(array('Kanyon', 'Cevahir', 'Metrocity'), cast(id % 3 + 1 as int))
                as shopping_mall,
            cast(id % 97 as decimal(12, 2)) as amount_try,
            add_months(date'2021-01-01', cast(id % 24 as int)) + cast(id % 28 as int)
                as invoice_date,
            year(add_months(date'2021-01-01', cast(id % 24 as int))) as invoice_year,
            month(add_months(date'2021-01-01', cast(id % 24 as int))) as invoice_month
        from range(4800)
        """,
    )
    one_month = queries.ONE_MONTH_SQL.replace(queries.FACT, table)

    scan = queries.scan_metrics(lakehouse_server, table=table, sql=one_month)

    assert scan["months"] == 24 and scan["fact_files"] >= 24
    # The filter on the partition columns: Spark opened the files of one partition only.
    assert scan["month_partitions"] == 1
    assert 1 <= scan["month_files"] < scan["fact_files"]
    # The same rows filtered on invoice_date: nothing to prune by, every file is read.
    assert scan["same_rows_unpruned"]
    assert scan["unpruned_files"] == scan["fact_files"]
    query(lakehouse_server, "drop schema bench_scan_check cascade")
