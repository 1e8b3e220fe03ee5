"""`lakehouse docs`: generate the dbt docs (catalog + lineage) and serve them on localhost."""

from __future__ import annotations

import argparse

from lakehouse.analyst import require_server
from lakehouse.config import load_settings
from lakehouse.dbt_runner import run_dbt
from lakehouse.errors import LakehouseError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "docs",
        help="generate the dbt docs (lineage, columns with types) and serve them on localhost",
        description="Runs `dbt docs generate` against the running server (the catalog reads "
        "every table's columns and types), then `dbt docs serve` on 127.0.0.1 until Ctrl-C.",
    )
    parser.add_argument("--port", type=int, default=8080, help="docs web port (default 8080)")
    parser.add_argument(
        "--no-serve", action="store_true", help="only generate target/index.html and catalog"
    )
    parser.set_defaults(handler=_docs)


def _docs(args: argparse.Namespace) -> int:
    # The Thrift server from the environment: this command's --port is the docs web port.
    settings = load_settings()
    require_server(settings)
    generated = run_dbt(settings, ["docs", "generate"])
    if generated.returncode != 0:
        raise LakehouseError(
            "`dbt docs generate` failed (its output is above).",
            "Build the models first (`lakehouse dbt build`), then run `lakehouse docs` again.",
        )
    if args.no_serve:
        print("Docs written to target/ (index.html, manifest.json, catalog.json).")
        return 0
    print(f"Serving the docs on http://127.0.0.1:{args.port}/ (Ctrl-C to stop)")
    served = run_dbt(
        settings,
        ["docs", "serve", "--port", str(args.port), "--host", "127.0.0.1", "--no-browser"],
    )
    return served.returncode
