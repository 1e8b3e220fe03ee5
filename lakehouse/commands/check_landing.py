"""`lakehouse check-landing`: the landing files against the delivery contract, no server needed."""

from __future__ import annotations

import argparse
import json
import sys

from lakehouse.commands.options import add_options, settings_from
from lakehouse.landing.check import LAYOUTS_VAR, require_valid_landing
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
    parser.add_argument(
        "--json",
        action="store_true",
        help="on success, print a JSON document with the dbt vars a build needs (the layouts "
        f"of sales files with a header of their own, {LAYOUTS_VAR}); for schedulers",
    )
    parser.set_defaults(handler=_check_landing)


def _check_landing(args: argparse.Namespace) -> int:
    landing = settings_from(args).landing_dir
    files = all_deliveries(landing)
    # With --json, stdout holds the document alone; the progress lines go to stderr.
    progress = sys.stderr if args.json else sys.stdout
    print(f"Checking {len(files)} files in {landing}", file=progress)
    check = require_valid_landing(landing)
    layouts = len(check.sales_layouts)
    print(f"OK: every file has the required columns ({layouts} with a layout of its own).",
          file=progress)  # fmt: skip
    if args.json:
        document = {"files": len(files), "dbt_vars": {LAYOUTS_VAR: check.sales_layouts}}
        print(json.dumps(document, indent=2))
    return 0
