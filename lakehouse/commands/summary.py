"""`lakehouse summary`: the run summary of `lakehouse run`, on its own (for schedulers)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime

from lakehouse.analyst import require_server
from lakehouse.commands.deliveries import add_schema_prefix_option
from lakehouse.commands.options import SERVER_OPTIONS, add_options, settings_from
from lakehouse.summary import (
    format_summary,
    summary_document,
    test_results,
    tests_not_passed_since,
)


def _utc_time(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a time: use ISO 8601, e.g. 2026-11-30T06:00:00+00:00"
        ) from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "summary",
        help="print the run summary: rows per layer, quarantine by reason, tests that warned",
        description="Prints what `lakehouse run` prints at its end: the rows of each layer, "
        "the quarantined rows by reason, and the data tests that warned or failed: those of "
        "the last dbt invocation in this project (target/run_results.json), or, with "
        "--since, of every build and test started since then (from audit.data_test_history: "
        "a scheduler runs one dbt invocation per model).",
    )
    add_options(parser, *SERVER_OPTIONS)
    add_schema_prefix_option(parser)
    parser.add_argument(
        "--since",
        type=_utc_time,
        metavar="TIME",
        help="report the tests of the dbt invocations started at or after TIME (ISO 8601; "
        "UTC unless it names its offset)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print a JSON document on stdout (the text goes to stderr); for schedulers",
    )
    parser.set_defaults(handler=_summary)


def _summary(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    require_server(settings)
    if args.since is None:
        not_passed = test_results()
    else:
        not_passed = tests_not_passed_since(settings, args.since)
    document = summary_document(settings, not_passed, args.schema_prefix)
    # With --json, stdout holds the document alone and the text goes to stderr (a scheduler
    # keeps the one and logs the other).
    print(format_summary(settings, document), file=sys.stderr if args.json else sys.stdout)
    if args.json:
        print(json.dumps(document, indent=2))
    return 0
