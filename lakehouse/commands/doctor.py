"""`lakehouse doctor`: is everything in place? Prints a pass/fail table."""

from __future__ import annotations

import argparse

from lakehouse.commands.options import SERVER_OPTIONS, add_options, settings_from
from lakehouse.doctor import format_table, run_checks


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "doctor",
        help="check Java, pyspark, Delta jars, the server, and a Delta round trip",
        description="Validates the environment end to end: Java, pyspark, the Delta jars, the "
        "Thrift connection, creating/reading/updating a Delta table with time travel, and the "
        "warehouse location. Exit code 1 if any check fails.",
    )
    add_options(parser, *SERVER_OPTIONS)
    parser.set_defaults(handler=_doctor)


def _doctor(args: argparse.Namespace) -> int:
    checks = run_checks(settings_from(args))
    print(format_table(checks))
    return 0 if all(check.passed for check in checks) else 1
