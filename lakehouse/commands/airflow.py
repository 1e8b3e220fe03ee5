"""`lakehouse airflow start|test`: the pipeline as an Airflow DAG (orchestration/dags)."""

from __future__ import annotations

import argparse
import json
import os

from lakehouse import orchestration, server
from lakehouse.analyst import format_table
from lakehouse.commands.options import SERVER_OPTIONS, add_options, settings_from
from lakehouse.errors import LakehouseError
from lakehouse.landing.states import manifest_exists
from lakehouse.pipeline import ensure_landing_data


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "airflow",
        help="run the pipeline as an Airflow DAG (needs `make airflow-setup`)",
        description="The DAG `retail_lakehouse` (orchestration/dags/retail_lakehouse.py): new "
        "delivery? -> delivery contract -> dbt, one task per node (rendered by "
        "astronomer-cosmos) -> docs -> run summary. Airflow runs from .venv-airflow, its state "
        "lives in <state>/airflow.",
    )
    actions = parser.add_subparsers(dest="airflow_action", metavar="ACTION", required=True)

    start = actions.add_parser(
        "start",
        help="start the Thrift server and Airflow (standalone) on 127.0.0.1, until Ctrl-C",
        description="Starts the Thrift server (as `lakehouse server start`), fills an empty "
        "landing folder with the default data set, loads the DAG into Airflow's database, "
        "then runs `airflow standalone` (scheduler, DAG processor, triggerer and web UI on "
        "127.0.0.1) in the foreground until Ctrl-C. The DAG runs hourly; trigger it from "
        "the UI to run it now.",
    )
    add_options(start, *SERVER_OPTIONS, "landing")
    start.add_argument(
        "--web-port",
        type=int,
        default=orchestration.DEFAULT_WEB_PORT,
        help=f"Airflow's web UI port (default {orchestration.DEFAULT_WEB_PORT})",
    )
    start.set_defaults(handler=_start)

    test = actions.add_parser(
        "test",
        help="run the DAG once now, in this process (`airflow dags test`), and report",
        description="Runs one DAG run to the end without a scheduler (`airflow dags test`) "
        "against the running Thrift server, then prints each task's state. Exit 0 when the "
        "run succeeded (or found nothing new to build), 1 when it failed.",
    )
    add_options(test, *SERVER_OPTIONS, "landing")
    test.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild every incremental table from the files present",
    )
    test.set_defaults(handler=_test)


def _start(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    info, already = server.start(settings)
    print(("Reusing" if already else "Started") + f" the Thrift server (pid {info.pid}).")
    prefix = os.environ.get("LAKEHOUSE_SCHEMA_PREFIX", "")
    ensure_landing_data(settings, lakehouse_exists=manifest_exists(settings, prefix))
    env = orchestration.airflow_env(settings, web_port=args.web_port)
    print(f"Loading the DAG {orchestration.DAG_ID} into Airflow ({env['AIRFLOW_HOME']}) ...")
    orchestration.prepare(env)
    print(
        f"\nAirflow's web UI: http://127.0.0.1:{args.web_port}/dags/{orchestration.DAG_ID} "
        "(no login: a single-user Airflow on loopback)\n"
        "The DAG runs hourly and skips its build when no new delivery has landed; use "
        "Trigger in the UI to run it now.\n"
        f"Airflow's own CLI on the same state: {orchestration.AIRFLOW_VENV}/bin/airflow, "
        f"with\n{orchestration.environment_lines(env)}\n"
        "Stop with Ctrl-C (the Thrift server keeps running: `lakehouse server stop`).\n",
        flush=True,
    )
    try:
        done = orchestration.run_airflow(orchestration.path_with_airflow(env), "standalone")
    except KeyboardInterrupt:
        return 0
    return done.returncode


def _test(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    if not server.running_server(settings):
        raise LakehouseError(
            f"No Thrift server of this project is running on port {settings.port}.",
            "Start it with `lakehouse server start`, then rerun.",
        )
    env = orchestration.airflow_env(settings)
    orchestration.prepare(env, load_dag=False)
    conf = json.dumps({"full_refresh": bool(args.full_refresh)})
    done = orchestration.run_airflow(env, "dags", "test", orchestration.DAG_ID, "--conf", conf)
    run_id, state, tasks = orchestration.latest_run_task_states(env)
    print(f"\nDAG run {run_id}: {state}")
    rows = [(task, task_state) for task, task_state in tasks.items()]
    print(format_table(["task", "state"], rows), end="")
    return 0 if done.returncode == 0 and state == "success" else 1
