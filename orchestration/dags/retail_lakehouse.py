"""The retail lakehouse as an Airflow DAG: one run per new delivery in the landing folder.

    new_delivery -> check_landing -> dbt (rendered by Cosmos) -> cross_model_tests
                 -> record_build -> dbt_docs -> run_summary

- new_delivery:  a no-op unless `lakehouse build --plan` finds something to build: a file
                 bronze has not loaded (or one changed in place, which the build then stops
                 on), or a lakehouse that no complete build covers (a run that failed after
                 bronze loaded, a changed project). Nothing to build skips every later task.
- check_landing: the delivery contract (`lakehouse check-landing`). A broken file fails this
                 task without retries, and no dbt task runs: gold stays as it was.
- dbt:           the dbt project rendered by astronomer-cosmos, one task per landing source
                 (its data tests), seed, model and snapshot (models/staging = bronze,
                 intermediate = silver, marts = gold).
                 Each task is `dbt build --select <node>`: the node, then its own data tests,
                 so an incremental build tests the rows it wrote.
- cross_model_tests: the data tests that read several models (relationships,
                 reconciliations), once all of them are built: one `dbt test`.
- record_build:  every dbt task succeeded: `lakehouse build --record-complete`.
- dbt_docs:      `dbt docs generate` (lineage and catalog for `lakehouse docs`).
- run_summary:   rows per layer, quarantined rows by reason and the data tests that warned or
                 failed in this run: the task's log and its return value (XCom).

The tasks that talk to the Thrift server retry with exponential backoff. dbt runs from the
project's own virtualenv (.venv, `make setup`), not Airflow's: the two pin different
versions of shared libraries. Settings come from the environment, as for the `lakehouse`
CLI: LAKEHOUSE_HOST, LAKEHOUSE_PORT, LAKEHOUSE_LANDING_DIR, LAKEHOUSE_STATE_DIR, plus
LAKEHOUSE_SCHEMA_PREFIX (build into prefixed schemas, e.g. staging_bronze) and
LAKEHOUSE_DAG_SCHEDULE (default @hourly).
"""

from __future__ import annotations

import json
import os
import subprocess
from datetime import datetime, timedelta
from pathlib import Path

from airflow.sdk import DAG, Param, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException
from cosmos import (
    DbtTaskGroup,
    ExecutionConfig,
    ProfileConfig,
    ProjectConfig,
    RenderConfig,
)
from cosmos.constants import (
    DbtResourceType,
    ExecutionMode,
    InvocationMode,
    LoadMode,
    SourceRenderingBehavior,
    TestBehavior,
    TestIndirectSelection,
)
from cosmos.operators.local import DbtBuildLocalOperator, DbtTestLocalOperator

from lakehouse.config import dbt_env, load_settings

PROJECT_DIR = Path(__file__).resolve().parents[2]
# The project's virtualenv: dbt, dbt-spark and the `lakehouse` CLI.
PROJECT_BIN = Path(os.environ.get("LAKEHOUSE_VENV", PROJECT_DIR / ".venv")) / "bin"
SCHEMA_PREFIX = os.environ.get("LAKEHOUSE_SCHEMA_PREFIX", "")
SCHEDULE = os.environ.get("LAKEHOUSE_DAG_SCHEDULE", "@hourly")
# The environment every dbt and lakehouse command gets: the profile reads host, port and
# landing folder from it (an absolute landing path: Cosmos runs dbt in a copy of the project).
DBT_ENV = dbt_env(load_settings())

DBT = PROJECT_BIN / "dbt"
# What the dbt tasks run: dbt under the project's build lock, so that a task never loads
# files beside a `lakehouse build` (lakehouse/locked_dbt.py).
LOCKED_DBT = PROJECT_BIN / "lakehouse-dbt"
PROFILE = ProfileConfig(
    profile_name="retail_lakehouse",
    target_name=os.environ.get("LAKEHOUSE_DBT_TARGET", "local"),
    profiles_yml_filepath=PROJECT_DIR / "profiles" / "profiles.yml",
)
# What every dbt task gets: the vars of the build.
DBT_ARGS = {
    "install_deps": False,  # no dbt packages
    # The layouts of sales files with a header of their own, as the check found them (JSON
    # text: the macro sales_file_layouts reads it).
    "vars": {
        **({"schema_prefix": SCHEMA_PREFIX} if SCHEMA_PREFIX else {}),
        "sales_file_layouts": (
            "{{ ti.xcom_pull(task_ids='check_landing')['sales_file_layouts'] | tojson }}"
        ),
    },
    "append_env": True,
}

SERVER_RETRIES = {
    "retries": 3,
    "retry_delay": timedelta(seconds=20),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=5),
}


# The medallion layer of each model folder.
LAYER_OF_FOLDER = {"staging": "bronze", "intermediate": "silver", "marts": "gold"}


def task_label(node) -> str:
    """What the graph shows for a dbt node: its layer (or kind) and name, e.g.
    `silver: int_sales_checked`, `seed: payment_methods`, `test: assert_...`."""
    kind = node.resource_type.value
    if kind == "model":
        kind = LAYER_OF_FOLDER.get(Path(node.original_file_path).parts[1], "model")
    return f"{kind}: {node.name}"


def landing_source_tests(dag, task_group, node, task_id: str, task_args: dict, **_):
    """A landing source's task (Cosmos' node converter): its data tests in a `dbt build`, so
    that they look at the files bronze has not loaded yet, as `lakehouse run`'s build does
    (Cosmos' own source task runs `dbt source freshness` only)."""
    return DbtBuildLocalOperator(
        task_id=task_id,
        dag=dag,
        task_group=task_group,
        task_display_name=f"landing: {node.name}",
        select=[f"source:{node.resource_name}"],
        indirect_selection=TestIndirectSelection.CAUTIOUS.value,
        **task_args,
    )


def tests_of_several_models(nodes) -> list[str]:
    """The names of the data tests that read more than one model or seed."""
    return sorted(
        node.name
        for node in nodes
        if node.resource_type == DbtResourceType.TEST
        and len([parent for parent in node.depends_on if not parent.startswith("source.")]) > 1
    )


def lakehouse(*args: str, error: type[Exception] = RuntimeError, hint: str = "") -> str:
    """Run the project's `lakehouse` CLI: its stderr goes to the task's log, its stdout is
    returned; a failure raises `error` (AirflowFailException: no retries)."""
    done = subprocess.run(
        [str(PROJECT_BIN / "lakehouse"), *args],
        cwd=PROJECT_DIR,
        env=DBT_ENV,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.stderr:
        print(done.stderr, end="")
    if done.returncode != 0:
        raise error(f"`lakehouse {' '.join(args)}` exited {done.returncode}. {hint}".strip())
    return done.stdout


def prefix_args() -> list[str]:
    return ["--schema-prefix", SCHEMA_PREFIX] if SCHEMA_PREFIX else []


with DAG(
    dag_id="retail_lakehouse",
    description="Landing deliveries -> bronze -> silver -> gold on the Spark Thrift server",
    schedule=SCHEDULE,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,  # two builds at once would race for the same tables
    default_args=SERVER_RETRIES,
    params={
        "full_refresh": Param(
            False,
            type="boolean",
            description="rebuild every incremental table from the files present (after "
            "replacing a delivery in place)",
        )
    },
    doc_md=__doc__,
    tags=["lakehouse", "dbt"],
) as dag:

    @task.short_circuit
    def new_delivery() -> bool:
        """True when the lakehouse has something to build: `lakehouse build --plan`."""
        full_refresh = get_current_context()["params"]["full_refresh"]
        plan = json.loads(
            lakehouse("build", "--plan", "--json", *(["--full-refresh"] if full_refresh else []),
                      *prefix_args())
        )  # fmt: skip
        print(f"{plan['action']}: {plan['reason']}")
        # The DAG runs every node of the project whatever the plan narrowed it to.
        return plan["action"] != "nothing"

    @task(retries=0)
    def check_landing() -> dict:
        """The delivery contract; returns the dbt vars the build needs (sales layouts)."""
        # A broken delivery does not mend itself: fail now, without retries.
        checked = lakehouse(
            "check-landing",
            "--json",
            error=AirflowFailException,
            hint="The landing folder breaks the delivery contract (the message above names "
            "the file); no dbt task ran. Fix or remove the file, then clear this task.",
        )
        return json.loads(checked)["dbt_vars"]

    dbt = DbtTaskGroup(
        group_id="dbt",
        project_config=ProjectConfig(PROJECT_DIR, env_vars=DBT_ENV),
        profile_config=PROFILE,
        execution_config=ExecutionConfig(
            execution_mode=ExecutionMode.LOCAL,
            invocation_mode=InvocationMode.SUBPROCESS,
            dbt_executable_path=str(LOCKED_DBT),
            # A node's task runs the tests of that node alone; a test that reads several
            # models runs in cross_model_tests, after all of them.
            test_indirect_selection=TestIndirectSelection.CAUTIOUS,
        ),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_LS,
            invocation_mode=InvocationMode.SUBPROCESS,
            dbt_executable_path=str(DBT),
            # Every node but dbt's unit tests, which run with the test suite (the default
            # selector `daily` of selectors.yml).
            exclude=["resource_type:unit_test"],
            # Each landing source a task before bronze: its data tests.
            source_rendering_behavior=SourceRenderingBehavior.WITH_TESTS_OR_FRESHNESS,
            node_converters={DbtResourceType.SOURCE: landing_source_tests},
            test_behavior=TestBehavior.BUILD,
            normalize_task_display_name=task_label,
            enable_mock_profile=False,
        ),
        operator_args={**DBT_ARGS, "full_refresh": "{{ params.full_refresh }}"},
    )

    # One task for every test that reads several models (relationships between tables,
    # reconciliations), rather than a task each: `dbt test` over whole tables, as the
    # build's own tests have already looked at the rows it wrote.
    cross_model_tests = DbtTestLocalOperator(
        task_id="cross_model_tests",
        task_display_name="tests across models",
        select=tests_of_several_models(dbt.dbt_graph.filtered_nodes.values()),
        project_dir=str(PROJECT_DIR),
        profile_config=PROFILE,
        dbt_executable_path=str(DBT),
        invocation_mode=InvocationMode.SUBPROCESS,
        env=DBT_ENV,
        **DBT_ARGS,
    )

    @task
    def record_build() -> None:
        """Every dbt task succeeded: record a complete build, so that the next run with no new
        delivery has nothing to do (a failed run leaves no record: the next one builds)."""
        print(lakehouse("build", "--record-complete", *prefix_args()), end="")

    @task
    def dbt_docs() -> None:
        """The docs' lineage and catalog (served by `lakehouse docs`)."""
        vars_arg = ["--vars", json.dumps({"schema_prefix": SCHEMA_PREFIX})]
        print(lakehouse("dbt", "docs", "generate", *vars_arg), end="")

    @task
    def run_summary() -> dict:
        """Rows per layer, quarantine by reason, and the tests that did not pass in this run."""
        started = get_current_context()["dag_run"].start_date.isoformat()
        # The summary as text goes to the log, as data to the return value.
        return json.loads(lakehouse("summary", "--since", started, "--json", *prefix_args()))

    (
        new_delivery()
        >> check_landing()
        >> dbt
        >> cross_model_tests
        >> record_build()
        >> dbt_docs()
        >> run_summary()
    )
