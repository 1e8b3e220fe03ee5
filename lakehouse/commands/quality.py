"""`lakehouse quality`: the data tests' results, latest run and trend across runs."""

from __future__ import annotations

import argparse

from lakehouse import quality
from lakehouse.commands.options import SERVER_OPTIONS, add_options, settings_from


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "quality",
        help="print the data tests' results: the latest run and a trend across runs",
        description="Reads audit.data_test_history, which every `dbt build` and `dbt test` "
        "appends to, and prints the latest run's tests (worst first: status, test, model, "
        "failing rows, seconds) and, per test that did not always pass, its failing rows in "
        "each of the last N runs.",
    )
    parser.add_argument(
        "--runs", type=int, default=5, help="how many runs the trend covers (default 5)"
    )
    parser.add_argument(
        "--failing", action="store_true", help="list only the tests that did not pass"
    )
    add_options(parser, *SERVER_OPTIONS)
    parser.set_defaults(handler=_quality)


def _quality(args: argparse.Namespace) -> int:
    print(quality.report(settings_from(args), args.runs, args.failing), end="")
    return 0
