"""The benchmark: build time, scale and memory of the pipeline, measured against a floor job.

    lakehouse bench --sizes 100k,1M,10M

For each size, on one freshly started server of its own (own state folder and port): generate
the landing files, time the floor job (one Spark SQL statement: read, join, write Delta), a
full `dbt build --full-refresh`, the same work without dbt (its models' SQL in one local Spark
session), and a one-day incremental `dbt build`, run the analyses over the Thrift (JDBC)
protocol, count the files a one-month query reads (Spark's scan metrics), and record peak
memory. Results go to results.json, REPORT.md and chart.png. Modules: sizes/stats (parsing,
percentiles), memory (peak RSS), delivery (the new day's file), floor, same_work, queries,
spark_metrics, machine, runner (the phases) and report (JSON, markdown, chart).
"""
