"""The pipeline as an Airflow DAG (orchestration/dags/retail_lakehouse.py), run by Airflow
itself: `lakehouse airflow test` (`airflow dags test`: one DAG run, every task in order,
without a scheduler) against the shared test server.

The DAG builds into schemas of its own (LAKEHOUSE_SCHEMA_PREFIX=af_: af_bronze, af_silver,
af_gold, ...) from a landing folder of its own, and Airflow keeps its database in a temporary
AIRFLOW_HOME, so nothing here touches the shared build. The tests follow one landing folder
through its life and run in file order: a first delivery, a run with nothing new, one new
delivery, the graph view of that run in the web UI, then a delivery that breaks the contract.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import differences_from_the_oracle, free_port, lakehouse_cli

from lakehouse import orchestration
from lakehouse.config import Settings
from lakehouse.connection import query
from lakehouse.generate import generate

PREFIX = "af_"
SCHEMAS = ("landing", "bronze", "silver", "gold", "snapshots", "reference", "audit")
FIRST_SALES = "sales_data.csv"
NEW_SALES = "sales_2026-11-30.csv"
NEW_LINES = 40


@pytest.fixture(scope="module")
def dag_env(lakehouse_server: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """The environment of `lakehouse airflow ...`: the test server, a generated landing
    folder, the af_ schemas (dropped before and after) and a fresh Airflow home."""
    if not orchestration.AIRFLOW_VENV.joinpath("bin", "airflow").exists():
        pytest.fail("Airflow is not installed in .venv-airflow: run `make airflow-setup`.")
    settings = lakehouse_server
    work = tmp_path_factory.mktemp("airflow")
    landing = work / "landing"
    generate(landing, rows=2_000, seed=11, invoices_per_customer=2)
    _drop_schemas(settings)
    env = dict(
        os.environ,
        LAKEHOUSE_STATE_DIR=str(settings.state_dir),
        LAKEHOUSE_HOST=settings.host,
        LAKEHOUSE_PORT=str(settings.port),
        LAKEHOUSE_LANDING_DIR=str(landing),
        LAKEHOUSE_SCHEMA_PREFIX=PREFIX,
        AIRFLOW_HOME=str(work / "airflow-home"),
    )
    yield env
    _drop_schemas(settings)


def _drop_schemas(settings: Settings) -> None:
    for schema in SCHEMAS:
        query(settings, f"drop schema if exists {PREFIX}{schema} cascade")


def _run_dag(env: dict, *args: str) -> tuple[int, str, dict[str, str]]:
    """One DAG run (`lakehouse airflow test`): exit code, output, {task id: state}."""
    result = lakehouse_cli("airflow", "test", *args, env=env, timeout=1800)
    _, _, states = orchestration.latest_run_task_states(_airflow_env(env))
    return result.returncode, result.stdout + result.stderr, states


def _airflow_env(dag_env: dict, **changes: str) -> dict[str, str]:
    """What `lakehouse airflow` gives Airflow's processes, for this module's Airflow home."""
    env = orchestration.airflow_env(_settings(dag_env))
    env.update(AIRFLOW_HOME=dag_env["AIRFLOW_HOME"], LAKEHOUSE_SCHEMA_PREFIX=PREFIX, **changes)
    return env


def _settings(dag_env: dict) -> Settings:
    return Settings(
        state_dir=Path(dag_env["LAKEHOUSE_STATE_DIR"]),
        host=dag_env["LAKEHOUSE_HOST"],
        port=int(dag_env["LAKEHOUSE_PORT"]),
        landing=Path(dag_env["LAKEHOUSE_LANDING_DIR"]),
    )


def _dbt_tasks(states: dict[str, str]) -> dict[str, str]:
    """The tasks that run dbt: Cosmos' (dbt.*) and the tests across models."""
    return {
        task: state
        for task, state in states.items()
        if task.startswith("dbt.") or task == "cross_model_tests"
    }


def _landing(env: dict) -> Path:
    return Path(env["LAKEHOUSE_LANDING_DIR"])


def _count(settings: Settings, sql: str) -> int:
    return int(query(settings, sql)[0][0])


def _fact_version(settings: Settings) -> tuple:
    history = f"describe history {PREFIX}gold.fct_sales limit 1"
    ((version, timestamp, *_),) = query(settings, history)
    return int(version), timestamp


@pytest.fixture(scope="module")
def first_run(dag_env: dict, lakehouse_server: Settings) -> tuple[int, str, dict[str, str]]:
    """The DAG's first run, on the first delivery."""
    return _run_dag(dag_env)


def test_the_dag_loads_without_import_errors_and_renders_every_dbt_node(dag_env: dict) -> None:
    env = _airflow_env(dag_env)
    orchestration.prepare(env)
    errors = orchestration.run_airflow(
        env, "dags", "list-import-errors", "--output", "json", capture=True
    )
    assert errors.returncode == 0, errors.stderr[-2000:]
    assert "retail_lakehouse.py" not in errors.stdout, errors.stdout[-3000:]
    listed = orchestration.run_airflow(env, "tasks", "list", orchestration.DAG_ID, capture=True)
    assert listed.returncode == 0, listed.stderr[-2000:]
    tasks = set(listed.stdout.split())
    for task in ("new_delivery", "check_landing", "cross_model_tests", "record_build",
                 "dbt_docs", "run_summary", "dbt.stg_landing__sales_model_build",
                 "dbt.int_sales_checked_model_build", "dbt.fct_sales_model_build",
                 "dbt.payment_methods_seed_build", "dbt.snp_customers_snapshot_build"):  # fmt: skip
        assert task in tasks, f"{task} missing from the DAG: {sorted(tasks)}"
    # Every model of the project is a task (models/ holds one .sql file per model).
    project = orchestration.DAGS_DIR.parents[1]
    models = {path.stem for path in (project / "models").rglob("*.sql")}
    assert {f"dbt.{model}_model_build" for model in models} <= tasks


def test_a_dag_run_builds_the_first_delivery_end_to_end(
    first_run: tuple, lakehouse_server: Settings, dag_env: dict
) -> None:
    returncode, output, states = first_run
    assert returncode == 0, output[-6000:]
    assert {state for state in states.values()} == {"success"}, states
    assert len(_dbt_tasks(states)) >= 25
    # Every row of the delivery is where the rules say (an independent computation).
    assert differences_from_the_oracle(lakehouse_server, _landing(dag_env), PREFIX) == {}
    # The run summary is the last task's output: rows per layer, quarantine, tests.
    facts = _count(lakehouse_server, f"select count(*) from {PREFIX}gold.fct_sales")
    assert "Rows per layer:" in output
    assert f"  gold   {'invoices in fct_sales':<30}{facts:>12,}" in output
    assert "Quarantined rows by reason" in output


def test_a_run_with_nothing_new_builds_nothing(
    first_run: tuple, lakehouse_server: Settings, dag_env: dict
) -> None:
    before = _fact_version(lakehouse_server)
    returncode, output, states = _run_dag(dag_env)
    assert returncode == 0, output[-4000:]
    assert states["new_delivery"] == "success"
    assert "nothing: no new delivery since the last complete build" in output
    not_skipped = {t: s for t, s in states.items() if t != "new_delivery" and s != "skipped"}
    assert not_skipped == {}
    assert _fact_version(lakehouse_server) == before


def test_a_run_after_one_new_delivery_loads_only_that_delivery(
    first_run: tuple, lakehouse_server: Settings, dag_env: dict
) -> None:
    settings = lakehouse_server
    manifest = f"{PREFIX}bronze.landing_files"
    loaded_before = dict(query(settings, f"select file_name, loaded_at from {manifest}"))
    bronze_before = _count(settings, f"select count(*) from {PREFIX}bronze.stg_landing__sales")
    # A day of new invoices: lines of the first delivery under new invoice numbers.
    sales = _landing(dag_env) / "sales"
    lines = (sales / FIRST_SALES).read_text(encoding="utf-8").splitlines()
    new = [f"I7{n:07d}," + line.split(",", 1)[1] for n, line in enumerate(lines[1 : NEW_LINES + 1])]
    (sales / NEW_SALES).write_text("\n".join([lines[0], *new]) + "\n", encoding="utf-8")

    returncode, output, states = _run_dag(dag_env)
    assert returncode == 0, output[-6000:]
    assert {state for state in states.values()} == {"success"}, states
    loaded_after = dict(query(settings, f"select file_name, loaded_at from {manifest}"))
    # The earlier files were not loaded again; the new one was, once, with its lines.
    assert {name: loaded_after[name] for name in loaded_before} == loaded_before
    assert set(loaded_after) - set(loaded_before) == {NEW_SALES}
    ((rows_loaded,),) = query(
        settings, f"select rows_loaded from {manifest} where file_name = '{NEW_SALES}'"
    )
    assert rows_loaded == NEW_LINES
    bronze_after = _count(settings, f"select count(*) from {PREFIX}bronze.stg_landing__sales")
    assert bronze_after == bronze_before + NEW_LINES
    assert differences_from_the_oracle(settings, _landing(dag_env), PREFIX) == {}


def test_the_graph_view_shows_the_dag(
    first_run: tuple, dag_env: dict, artifacts_dir: Path, tmp_path: Path
) -> None:
    from airflow_ui import screenshot_graph, web_ui

    port = free_port()
    env = _airflow_env(dag_env, AIRFLOW__API__PORT=str(port),
                       AIRFLOW__API__BASE_URL=f"http://127.0.0.1:{port}")  # fmt: skip
    run_id, _, _ = orchestration.latest_run_task_states(env)
    picture = artifacts_dir / "airflow_dag_graph.png"
    picture.unlink(missing_ok=True)
    with web_ui(env, port) as base_url:
        rendered = screenshot_graph(base_url, run_id, picture, tmp_path / "chromium")
    assert picture.exists() and picture.stat().st_size > 20_000
    # Each node of the graph, with the state of the run's task (the dbt group collapsed).
    for task in ("new_delivery", "check_landing", "dbt", "dbt_docs", "run_summary"):
        assert re.search(rf'data-testid="rf__node-{task}".*?>success<', rendered, re.S), task


def test_a_delivery_that_breaks_the_contract_fails_the_check_and_runs_no_dbt_task(
    first_run: tuple, lakehouse_server: Settings, dag_env: dict
) -> None:
    settings = lakehouse_server
    before = _fact_version(settings)
    facts = _count(settings, f"select count(*) from {PREFIX}gold.fct_sales")
    broken = _landing(dag_env) / "sales" / "sales_renamed_column.csv"
    header = "invoice_no,customer_id,category,qty,price,invoice_date,shopping_mall"
    broken.write_text(header + "\nI800000001,C100001,Books,1,15.15,10-03-2023,Kanyon\n")
    try:
        returncode, output, states = _run_dag(dag_env)
    finally:
        broken.unlink()
    assert returncode == 1
    assert states["new_delivery"] == "success"
    assert states["check_landing"] == "failed"
    # The check's message names the file and the missing column.
    assert "sales_renamed_column.csv" in output and "quantity" in output
    dbt_states = set(_dbt_tasks(states).values())
    assert dbt_states == {"upstream_failed"}, _dbt_tasks(states)
    assert states["record_build"] == states["run_summary"] == "upstream_failed"
    assert _fact_version(settings) == before
    assert _count(settings, f"select count(*) from {PREFIX}gold.fct_sales") == facts
