"""The main job: each step says what it does; the first failure stops with a clear message."""

from __future__ import annotations

import argparse
import time

from lakehouse import server
from lakehouse.config import Settings
from lakehouse.connection import client_host
from lakehouse.dbt_runner import run_dbt
from lakehouse.doctor import format_table, run_checks
from lakehouse.errors import LakehouseError


def _step(title: str) -> float:
    print(f"\n==> {title}", flush=True)
    return time.monotonic()


def run_pipeline(settings: Settings, args: argparse.Namespace) -> int:
    started = _step("Starting the Thrift server")
    info, already = server.start(settings)
    print(("Reusing" if already else "Started") + f" the server (pid {info.pid}).")

    _step("Building the project with dbt (seeds, models, tests)")
    build = run_dbt(settings, ["build"])
    if build.returncode != 0:
        raise LakehouseError(
            "dbt build failed (see its output above).",
            "Fix the model or test it names, then rerun `lakehouse dbt build`; the server is "
            "still running.",
        )

    if not getattr(args, "skip_doctor", False):
        _step("Checking the environment (lakehouse doctor)")
        checks = run_checks(settings)
        print(format_table(checks))
        if not all(check.passed for check in checks):
            raise LakehouseError("Some environment checks failed (table above).")

    host = client_host(settings)
    print(
        f"\nDone in {time.monotonic() - started:.0f} s.\n"
        f"  JDBC (beeline, DBeaver):  jdbc:hive2://{host}:{settings.port}/gold\n"
        f"  Query it:                 .venv/bin/lakehouse dbt show --inline "
        "'select * from gold.dim_shopping_malls'\n"
        f"  Server status / logs:     .venv/bin/lakehouse server status | logs\n"
        f"  Stop the server:          .venv/bin/lakehouse server stop   (or make stop)"
    )
    return 0
