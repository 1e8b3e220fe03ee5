"""`lakehouse run`: the main job, end to end on the embedded default."""

from __future__ import annotations

import argparse

from lakehouse.commands.options import SERVER_OPTIONS, add_options, settings_from
from lakehouse.pipeline import run_pipeline


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run",
        help="the main job: start the server, build the pipeline with dbt, check, summarise",
        description="Starts the local Thrift server (fetching the Delta jars on first use), "
        "builds the pipeline as `lakehouse build` does (nothing when no delivery is new), "
        "generates the docs, runs the doctor's checks and prints where to look next.",
    )
    add_options(parser, *SERVER_OPTIONS)
    parser.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild incremental models from scratch (after replacing the landing files)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="run every dbt node even when no delivery is new (see `lakehouse build --help`)",
    )
    parser.add_argument(
        "--skip-doctor", action="store_true", help="do not run the environment checks at the end"
    )
    parser.set_defaults(handler=lambda args: run_pipeline(settings_from(args), args))
