"""The `lakehouse` command: one entry point for the project's tooling.

Each command lives in its own module, which adds its sub-command with `register(subparsers)`.
Expected failures are LakehouseError: printed as one clear message, exit code 1, no traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import textwrap

from lakehouse import __version__
from lakehouse.config import SETTINGS
from lakehouse.errors import LakehouseError

# Modules that add a sub-command, in the order `--help` lists them.
COMMAND_MODULES = [
    "lakehouse.commands.run",
    "lakehouse.commands.build",
    "lakehouse.commands.generate",
    "lakehouse.commands.check_landing",
    "lakehouse.commands.deliveries",
    "lakehouse.commands.profile",
    "lakehouse.commands.server",
    "lakehouse.commands.doctor",
    "lakehouse.commands.dbt",
    "lakehouse.commands.sql",
    "lakehouse.commands.docs",
    "lakehouse.commands.quality",
    "lakehouse.commands.summary",
    "lakehouse.commands.airflow",
    "lakehouse.commands.bench",
]

DESCRIPTION = """\
A local lakehouse: dbt on Spark's Thrift server with Delta Lake.

Typical session:
  lakehouse run                 set up, start the server, build the pipeline, check it
  lakehouse build               the daily build: only what new deliveries reach
  lakehouse server status       is the server up? (pid, port, uptime)
  lakehouse dbt build           any dbt command, against the local server
  lakehouse server stop         stop the server this project started

"""
# Listed from config.SETTINGS, so the list cannot miss one.
DESCRIPTION += textwrap.fill(
    "Settings come from options (see each command's --help) or the environment: "
    + ", ".join(f"{s.env} (default {s.default_text()})" for s in SETTINGS)
    + ".",
    width=92,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lakehouse",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        if getattr(args, "dbt_args", None) is None:
            parser.error(f"unrecognized arguments: {' '.join(unknown)}")
        # `lakehouse dbt --debug build`: dbt's global options before its command are dbt's.
        args.dbt_args = unknown + args.dbt_args
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        return int(args.handler(args) or 0)
    except LakehouseError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
