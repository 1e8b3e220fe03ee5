"""Airflow around the pipeline: the environment Airflow runs the DAG in
(orchestration/dags/retail_lakehouse.py) and the `airflow` commands this project runs.

Airflow and astronomer-cosmos live in a virtualenv of their own, .venv-airflow
(orchestration/requirements.lock, `make airflow-setup`): their pins differ from dbt's (Airflow
wants protobuf 7, dbt 6), so the DAG's tasks run dbt and the `lakehouse` CLI from .venv.
Airflow's state (its SQLite database, logs, generated password file) lives under
<state>/airflow, like the rest of the generated state.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from lakehouse.config import PROJECT_DIR, Settings, dbt_env
from lakehouse.errors import LakehouseError

AIRFLOW_VENV = PROJECT_DIR / ".venv-airflow"
DAGS_DIR = PROJECT_DIR / "orchestration" / "dags"
DAG_ID = "retail_lakehouse"
DEFAULT_WEB_PORT = 8082  # 8080 is `lakehouse docs`' default
# Folders of the project that are not the dbt project: Cosmos hashes the project folder to
# know when to list the dbt nodes again, and walking the virtualenvs and the warehouse takes
# seconds on every parse.
NOT_DBT_FOLDERS = (
    ".venv", ".venv-airflow", ".git", ".lakehouse", ".lakehouse-test", ".lakehouse-bench",
    "target", "logs", "lakehouse", "pytests", "benchmarks", "docker", "docs", "orchestration",
    "__pycache__", "retail_lakehouse.egg-info",
)  # fmt: skip


def airflow_home(settings: Settings) -> Path:
    """AIRFLOW_HOME when set, else <state>/airflow."""
    chosen = os.environ.get("AIRFLOW_HOME", "").strip()
    return Path(chosen).expanduser().resolve() if chosen else settings.state_dir / "airflow"


def airflow_executable() -> Path:
    executable = AIRFLOW_VENV / "bin" / "airflow"
    if not executable.exists():
        raise LakehouseError(
            f"Airflow is not installed: {executable} is missing.",
            "Run `make airflow-setup` (or `make airflow`): it creates .venv-airflow from "
            "orchestration/requirements.lock.",
        )
    return executable


def airflow_env(settings: Settings, web_port: int = DEFAULT_WEB_PORT) -> dict[str, str]:
    """The environment of every Airflow process: where its state and the DAG are, settings
    for a single-user Airflow on this machine, and the lakehouse settings the DAG passes on
    to dbt (server, landing folder; LAKEHOUSE_SCHEMA_PREFIX passes through when set)."""
    env = dbt_env(settings)
    env.update(
        AIRFLOW_HOME=str(airflow_home(settings)),
        AIRFLOW__CORE__DAGS_FOLDER=str(DAGS_DIR),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="False",
        # The first parse lists the dbt nodes with `dbt ls` (about 15 s on 2 cores).
        AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT="180",
        AIRFLOW__DAG_PROCESSOR__DAG_FILE_PROCESSOR_TIMEOUT="180",
        # A local, single-user Airflow: the web UI on loopback only, every user an admin.
        AIRFLOW__API__HOST="127.0.0.1",
        AIRFLOW__API__PORT=str(web_port),
        AIRFLOW__API__BASE_URL=f"http://127.0.0.1:{web_port}",
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS="True",
        # No calls home: the network may allow only package registries.
        AIRFLOW__USAGE_DATA_COLLECTION__ENABLED="False",
        AIRFLOW__COSMOS__ENABLE_TELEMETRY="False",
        AIRFLOW__COSMOS__PROJECT_HASH_EXCLUDED_DIRS=",".join(NOT_DBT_FOLDERS),
        LAKEHOUSE_STATE_DIR=str(settings.state_dir),
    )
    return env


def run_airflow(
    env: dict[str, str], *args: str, capture: bool = False, timeout: float | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `airflow <args>` from .venv-airflow in the project folder."""
    return subprocess.run(
        [str(airflow_executable()), *args],
        cwd=PROJECT_DIR,
        env=env,
        text=True,
        capture_output=capture,
        timeout=timeout,
        check=False,
    )


def prepare(env: dict[str, str], load_dag: bool = True) -> None:
    """Create or upgrade Airflow's database and (unless `load_dag` is False: `airflow dags
    test` parses the DAG file itself) load the DAG into it, failing on an import error."""
    Path(env["AIRFLOW_HOME"]).mkdir(parents=True, exist_ok=True)
    steps = [["db", "migrate"]] + ([["dags", "reserialize"]] if load_dag else [])
    for step in steps:
        done = run_airflow(env, *step, capture=True)
        if done.returncode != 0:
            raise LakehouseError(
                f"`airflow {' '.join(step)}` failed:\n{(done.stdout + done.stderr)[-3000:]}",
                f"Check AIRFLOW_HOME ({env['AIRFLOW_HOME']}); delete it to start afresh.",
            )
    if not load_dag:
        return
    errors = run_airflow(env, "dags", "list-import-errors", "--output", "json", capture=True)
    if errors.returncode == 0 and DAG_ID not in _listed_dags(env):
        raise LakehouseError(
            f"Airflow could not load the DAG {DAG_ID}:\n{errors.stdout[-3000:]}",
            "Fix the error above (orchestration/dags/retail_lakehouse.py), then rerun.",
        )


def _listed_dags(env: dict[str, str]) -> str:
    return run_airflow(env, "dags", "list", "--output", "plain", capture=True).stdout


def environment_lines(env: dict[str, str]) -> str:
    """The variables to export to run `airflow` by hand on the same state."""
    names = ("AIRFLOW_HOME", "AIRFLOW__CORE__DAGS_FOLDER", "LAKEHOUSE_PORT",
             "LAKEHOUSE_LANDING_DIR", "LAKEHOUSE_STATE_DIR")  # fmt: skip
    return "\n".join(f"  export {name}={env[name]}" for name in names)


def path_with_airflow(env: dict[str, str]) -> dict[str, str]:
    """`env` with .venv-airflow's bin first on PATH (`airflow standalone` starts its parts
    with the `airflow` it finds there)."""
    return dict(env, PATH=f"{AIRFLOW_VENV / 'bin'}{os.pathsep}{env.get('PATH', '')}")


def latest_run_task_states(env: dict[str, str]) -> tuple[str, str, dict[str, str]]:
    """The DAG's latest run: (run id, its state, {task id: state})."""
    runs = run_airflow(env, "dags", "list-runs", DAG_ID, "--output", "json", capture=True)
    if runs.returncode != 0:
        raise LakehouseError(f"Could not list the runs of {DAG_ID}:\n{runs.stderr[-2000:]}")
    latest = max(_json_output(runs.stdout), key=lambda run: run["start_date"] or "")
    states = run_airflow(
        env, "tasks", "states-for-dag-run", DAG_ID, latest["run_id"], "--output", "json",
        capture=True,
    )  # fmt: skip
    if states.returncode != 0:
        raise LakehouseError(f"Could not read the task states:\n{states.stderr[-2000:]}")
    by_task = {task["task_id"]: task["state"] for task in _json_output(states.stdout)}
    return latest["run_id"], latest["state"], by_task


def _json_output(stdout: str) -> list[dict]:
    """The JSON list an `airflow ... --output json` command printed after its log lines
    (Airflow logs its warnings to stdout)."""
    lines = stdout.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("["):
            return json.loads("\n".join(lines[index:]))
    raise LakehouseError(f"Airflow printed no JSON list:\n{stdout[-2000:]}")
