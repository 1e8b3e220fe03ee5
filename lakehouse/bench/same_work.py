"""The same-work floor: the pipeline's models without dbt, without Thrift and without tests.

After the bench's full build, dbt's manifest holds the compiled SQL of every model. For each
model in DAG order this runs the statement a full refresh sends: `create or replace table
<schema>.<name> using delta [partitioned by (...)] [tblproperties (...)] as <compiled SQL>`
for table and incremental models, `create or replace view ... as ...` for views, one after
the other in one local Spark session (its own JVM, the server's Spark settings and driver
memory). `build / same-work floor` is then the price of orchestration (dbt, its catalog
calls, the tests and hooks), `same-work floor / single-pass floor` the price of the rules.

The session has its own in-memory catalog and warehouse folder, so the server's tables are
never touched; the schema and table names are the build's own. Before the timed statements
(untimed): the seeds are copied from the server's Delta tables (a build finds them loaded),
and the landing tables are registered as the on-run-start hook `register_landing_tables`
does (macros/landing/). Timed: creating the layer schemas, registering the landing tables,
and every model's statement.

Left out, as a full refresh does not need them to produce the same tables:
- the tests, and the on-run-start hook `check_landing_files` (a contract check that scans
  every sales line) and the on-run-end hook `record_data_test_results`;
- the post-hooks of the bronze models (`record_landing_files`: the manifest of loaded files
  that incremental runs read), and those of `fct_sales` (`reflag_price_outliers` runs only
  in incremental builds; `optimize_if_fragmented` finds one file per month after a full
  refresh and does nothing); the pre-hook of `fct_sales` runs only in incremental builds;
- the snapshot `snp_customers` (no model reads it).

Run by the bench as `python -m lakehouse.bench.same_work <plan.json> <result.json>`.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from lakehouse.config import Settings
from lakehouse.errors import LakehouseError
from lakehouse.landing.contract import CUSTOMER_TYPES, CUSTOMERS_DIR, SALES_DIR

LEFT_OUT = [
    "tests (data and unit)",
    "on-run-start check_landing_files, on-run-end record_data_test_results",
    "bronze post-hooks record_landing_files (incremental bookkeeping)",
    "fct_sales hooks (incremental only; optimize_if_fragmented is a no-op after a full refresh)",
    "snapshot snp_customers (no model reads it)",
]
# Spark settings of the server that belong to its Hive metastore or its logging.
_SERVER_ONLY = ("spark.hadoop.javax.jdo.", "spark.hadoop.datanucleus.", "spark.hadoop.hive.")


# ---------------------------------------------------------------------------- the plan


def dag_order(manifest: dict) -> list[dict]:
    """The models (ephemeral ones are inlined in others) in an order where each comes after
    the models it depends on."""
    models = {
        uid: node
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and node["config"]["materialized"] != "ephemeral"
    }
    ordered: list[dict] = []
    done: set[str] = set()

    def visit(uid: str, path: tuple[str, ...] = ()) -> None:
        if uid in done:
            return
        if uid in path:
            raise LakehouseError(f"The models form a cycle: {' -> '.join(path + (uid,))}")
        for parent in sorted(models[uid]["depends_on"]["nodes"]):
            if parent in models:
                visit(parent, path + (uid,))
        done.add(uid)
        ordered.append(models[uid])

    for uid in sorted(models):
        visit(uid)
    return ordered


def model_statement(node: dict) -> str:
    """What a full refresh sends for one model, from its config and compiled SQL."""
    config = node["config"]
    materialized = config["materialized"]
    code = (node.get("compiled_code") or "").strip().rstrip(";")
    if not code:
        raise LakehouseError(f"{node['unique_id']} has no compiled SQL in the manifest.")
    relation = node["relation_name"]
    if materialized == "view":
        return f"create or replace view {relation} as\n{code}"
    if materialized not in ("table", "incremental"):
        raise LakehouseError(f"{node['unique_id']}: materialization {materialized} unsupported")
    lines = [f"create or replace table {relation}", f"using {config.get('file_format') or 'delta'}"]
    partition_by = config.get("partition_by") or []
    if isinstance(partition_by, str):
        partition_by = [partition_by]
    if partition_by:
        lines.append(f"partitioned by ({', '.join(partition_by)})")
    properties = config.get("tblproperties") or {}
    if properties:
        pairs = ", ".join(f"'{key}' = '{value}'" for key, value in properties.items())
        lines.append(f"tblproperties ({pairs})")
    return "\n".join([*lines, "as", code])


def landing_statements(landing: Path, schema: str = "landing") -> list[str]:
    """The landing tables, as macros/landing/register_landing_tables.sql registers them."""
    root = str(landing.resolve()).rstrip("/")
    # Without the macro's glob filter: the bench's landing folder holds deliveries only.
    customers, sales = f"location '{root}/{CUSTOMERS_DIR}'", f"location '{root}/{SALES_DIR}'"
    customer_columns = ", ".join(f"{name} {kind}" for name, kind in CUSTOMER_TYPES.items())
    tables = {
        "customers": f"({customer_columns}) using parquet {customers}",
        "customers_files": f"using binaryFile {customers}",
        "sales_lines": f"(value string) using text {sales}",
        "sales_files": f"using binaryFile {sales}",
    }
    statements = [f"create schema if not exists {schema}"]
    for name, definition in tables.items():
        statements += [
            f"drop table if exists {schema}.{name}",
            f"create table {schema}.{name} {definition}",
        ]
    return statements


def seed_relations(manifest: dict) -> list[str]:
    return sorted(
        node["relation_name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "seed"
    )


def build_plan(
    manifest: dict, landing: Path, seed_locations: dict[str, str], repeats: int = 1
) -> dict:
    """Statements to run: `setup` untimed (seeds copied from the server's Delta folders),
    `timed` the work of a full refresh, in order; `tables` to count afterwards."""
    models = dag_order(manifest)
    setup = []
    for relation, location in sorted(seed_locations.items()):
        schema = relation.split(".")[0]
        setup += [
            f"create schema if not exists {schema}",
            f"create or replace table {relation} using delta as select * from delta.`{location}`",
        ]
    schemas = sorted({node["schema"] for node in models})
    timed = [{"name": "landing tables", "sql": sql} for sql in landing_statements(landing)]
    timed += [{"name": f"schema {s}", "sql": f"create schema if not exists {s}"} for s in schemas]
    timed += [{"name": node["name"], "sql": model_statement(node)} for node in models]
    return {
        "setup": setup,
        "timed": timed,
        "tables": [node["relation_name"] for node in models],
        "repeats": repeats,
        "left_out": LEFT_OUT,
    }


def session_settings(settings: Settings, folder: Path, jars: list[Path]) -> dict[str, Any]:
    """The local session: the server's Spark settings, its own catalog, warehouse and logs."""
    from lakehouse import server

    confs = {
        key: value
        for key, value in server.spark_confs(settings).items()
        if not key.startswith(_SERVER_ONLY)
    }
    java_options = confs["spark.driver.extraJavaOptions"]
    confs["spark.driver.extraJavaOptions"] = java_options.replace(
        f"-Dlakehouse.log.dir={settings.logs_dir}", f"-Dlakehouse.log.dir={folder / 'logs'}"
    ).replace(f"{settings.logs_dir / 'derby.log'}", f"{folder / 'logs' / 'derby.log'}")
    confs.update({
        "spark.sql.catalogImplementation": "in-memory",
        "spark.sql.warehouse.dir": str(folder / "warehouse"),
        "spark.ui.enabled": "false",
        "spark.driver.memory": settings.driver_memory,
        "spark.jars": ",".join(str(jar) for jar in jars),
        "spark.driver.extraClassPath": ":".join(str(jar) for jar in jars),
    })  # fmt: skip
    return {"master": settings.master, "confs": confs}


# ---------------------------------------------------------------------------- the run


def run(plan: dict, session: dict) -> dict:
    """Start the session, run the setup, then the timed statements `repeats` times."""
    from pyspark.sql import SparkSession

    started = time.perf_counter()
    builder = SparkSession.builder.master(session["master"]).appName("lakehouse-same-work")
    for key, value in session["confs"].items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    result: dict[str, Any] = {"session_start_s": time.perf_counter() - started}
    try:
        for sql in plan["setup"]:
            spark.sql(sql)
        runs = []
        for repeat in range(plan["repeats"]):
            if repeat:
                _drop_models(spark, plan["tables"])
            steps: dict[str, float] = {}
            run_started = time.perf_counter()
            for step in plan["timed"]:
                step_started = time.perf_counter()
                spark.sql(step["sql"])
                steps[step["name"]] = steps.get(step["name"], 0.0) + (
                    time.perf_counter() - step_started
                )
            runs.append({"seconds": time.perf_counter() - run_started, "steps": steps})
        result["runs"] = runs
        result["rows"] = {
            table: spark.sql(f"select count(*) from {table}").collect()[0][0]
            for table in plan["tables"]
        }
    finally:
        spark.stop()
    return result


def _drop_models(spark: Any, tables: list[str]) -> None:
    """Untimed, between repeats: every repeat creates the tables, as the first one did. The
    in-memory catalog refuses to replace a partitioned Delta table whose partition columns
    are not the last ones (as the fact's are not); the server's metastore does not check."""
    for name in tables:
        if spark.catalog.tableExists(name):
            kind = "view" if spark.catalog.getTable(name).tableType == "VIEW" else "table"
            spark.sql(f"drop {kind} {name}")


def main(argv: list[str]) -> int:
    plan_path, result_path = Path(argv[0]), Path(argv[1])
    spec = json.loads(plan_path.read_text())
    os.environ.pop("PYSPARK_SUBMIT_ARGS", None)
    result = run(spec["plan"], spec["session"])
    result_path.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
