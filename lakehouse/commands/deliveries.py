"""`lakehouse deliveries`: each landing file's state against what bronze has loaded."""

from __future__ import annotations

import argparse
import json

from lakehouse.analyst import format_table, require_server
from lakehouse.commands.options import SERVER_OPTIONS, add_options, settings_from
from lakehouse.landing.states import delivery_states, pending


def add_schema_prefix_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--schema-prefix",
        default="",
        metavar="PREFIX",
        help="the dbt var schema_prefix of the build to look at (default none: bronze, "
        "silver, gold)",
    )


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "deliveries",
        help="list the landing files and which ones the next build would load",
        description="Compares every delivery of the landing folder with bronze's manifest "
        "of loaded files (bronze.landing_files): new (the next build loads it), loaded, "
        "changed (loaded, then changed in place: the next build stops and names it), "
        "removed (loaded, then deleted: its rows stay) or empty (0 bytes: nothing to load). "
        "Needs the server for the manifest.",
    )
    add_options(parser, "landing", *SERVER_OPTIONS)
    add_schema_prefix_option(parser)
    parser.add_argument(
        "--json", action="store_true", help="print a JSON document (for schedulers) instead"
    )
    parser.set_defaults(handler=_deliveries)


def _deliveries(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    require_server(settings)
    states = delivery_states(settings, settings.landing_dir, args.schema_prefix)
    waiting = pending(states)
    if args.json:
        document = {
            "landing": str(settings.landing_dir),
            "pending": len(waiting),
            "files": [state.as_dict() for state in states],
        }
        print(json.dumps(document, indent=2))
        return 0
    print(f"Landing folder {settings.landing_dir}:")
    rows = [(s.kind, s.file_name, s.state, s.size, s.loaded_at) for s in states]
    print(format_table(["kind", "file", "state", "bytes", "loaded at (UTC)"], rows), end="")
    if waiting:
        print(f"{len(waiting)} file(s) for the next build: lakehouse dbt build")
    else:
        print("Nothing new: a build would load no file.")
    return 0
