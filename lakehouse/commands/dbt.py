"""`lakehouse dbt ...`: run dbt against the local server with the project's profile."""

from __future__ import annotations

import argparse

from lakehouse.build_lock import build_lock
from lakehouse.config import Settings, load_settings
from lakehouse.dbt_runner import run_dbt
from lakehouse.landing.dbt_args import dbt_args_checked


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "dbt",
        help="run any dbt command with this project's profile (e.g. `lakehouse dbt build`)",
        description="Runs dbt in the project folder with DBT_PROFILES_DIR=profiles and the "
        "server's host, port and landing folder in the environment. The commands that read "
        "the landing files (build, run, test, retry, show) check them against the delivery "
        "contract first, whatever flags and --vars come with them (see `lakehouse "
        "check-landing`); files with extra or reordered columns get their layout added to "
        "--vars.",
        add_help=False,
    )
    parser.add_argument("dbt_args", nargs=argparse.REMAINDER, help="arguments passed to dbt")
    parser.set_defaults(handler=_dbt)


def _dbt(args: argparse.Namespace) -> int:
    settings: Settings = load_settings()
    # The build lock (lakehouse/build_lock.py) is held from the check of the landing files
    # until dbt has finished: another build waits rather than load the same files again.
    with build_lock(settings, "lakehouse dbt " + " ".join(args.dbt_args)[:80]):
        dbt_args = dbt_args_checked(settings.landing_dir, args.dbt_args)
        return run_dbt(settings, dbt_args).returncode
