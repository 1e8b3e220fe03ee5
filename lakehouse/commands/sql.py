"""`lakehouse beeline` and `lakehouse sql`: analysts' access to the running server."""

from __future__ import annotations

import argparse

from lakehouse import analyst
from lakehouse.commands.options import SERVER_OPTIONS, add_options, settings_from


def register(subparsers: argparse._SubParsersAction) -> None:
    beeline = subparsers.add_parser(
        "beeline",
        help="open an interactive beeline (Hive JDBC) session on the running server",
        description="Opens Spark's beeline on jdbc:hive2://<host>:<port>/<schema>. "
        "LAKEHOUSE_USER / LAKEHOUSE_PASSWORD are passed when set.",
    )
    add_options(beeline, *SERVER_OPTIONS)
    beeline.add_argument("--schema", default="gold", help="schema to start in (default gold)")
    beeline.set_defaults(
        handler=lambda args: analyst.open_beeline(settings_from(args), args.schema)
    )

    sql = subparsers.add_parser(
        "sql",
        help="run SQL (a string, a file or a compiled analysis) and print the result",
        description="Runs SQL on the running server and prints each result. Examples:\n"
        '  lakehouse sql "select * from fct_sales limit 5"\n'
        "  lakehouse sql --file report.sql --format csv > report.csv\n"
        "  lakehouse sql --analysis top_customers_by_revenue --format json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sql.add_argument("query", nargs="?", help="the SQL to run (statements separated by ;)")
    sql.add_argument("-f", "--file", help="run the SQL in this file instead")
    sql.add_argument(
        "-a",
        "--analysis",
        help="run the compiled analysis analyses/<NAME>.sql (compiled with dbt when needed)",
    )
    add_options(sql, *SERVER_OPTIONS)
    sql.add_argument("--schema", default="gold", help="default schema (default gold)")
    sql.add_argument(
        "--format",
        choices=analyst.FORMATS,
        default="table",
        help="table (default), csv, or json (decimals and dates as strings)",
    )
    sql.set_defaults(handler=_sql)


def _sql(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    text = analyst.read_sql(settings, args.query, args.file, args.analysis)
    results = analyst.run_sql(settings, text, args.schema)
    for index, result in enumerate(results):
        if index and args.format == "table":
            print()
        analyst.print_result(result, args.format)
    return 0
