"""`lakehouse dbt ...`: run dbt against the local server with the project's profile."""

from __future__ import annotations

import argparse

from lakehouse.config import load_settings
from lakehouse.dbt_runner import run_dbt


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "dbt",
        help="run any dbt command with this project's profile (e.g. `lakehouse dbt build`)",
        description="Runs dbt in the project folder with DBT_PROFILES_DIR=profiles and the "
        "server's host, port and landing folder in the environment.",
        add_help=False,
    )
    parser.add_argument("dbt_args", nargs=argparse.REMAINDER, help="arguments passed to dbt")
    parser.set_defaults(handler=lambda args: run_dbt(load_settings(), args.dbt_args).returncode)
