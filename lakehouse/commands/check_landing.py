"""`lakehouse check-landing`: the landing files against the delivery contract, no server needed."""

from __future__ import annotations

import argparse

from lakehouse.commands.options import add_options, settings_from
from lakehouse.landing.check import require_valid_landing
from lakehouse.landing.files import all_deliveries


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "check-landing",
        help="check the landing files' columns and formats before a build",
        description="Looks at every file a build would read (sales/*.csv headers, "
        "customers/*.parquet schemas, every byte of every CSV): a missing or renamed column, "
        "a CSV with a NUL byte or a byte that is not UTF-8 on any line, or an unreadable "
        "Parquet file is an error naming the file and column or line (exit 1); extra "
        "columns are warnings; empty and header-only files are notes. `lakehouse run` and "
        "`lakehouse dbt build|run|test|retry|show` run the same check first; plain dbt runs "
        "it in an on-run-start hook.",
    )
    add_options(parser, "landing")
    parser.set_defaults(handler=_check_landing)


def _check_landing(args: argparse.Namespace) -> int:
    landing = settings_from(args).landing_dir
    files = all_deliveries(landing)
    print(f"Checking {len(files)} files in {landing}")
    check = require_valid_landing(landing)
    layouts = len(check.sales_layouts)
    print(f"OK: every file has the required columns ({layouts} with a layout of its own).")
    return 0
