"""`lakehouse server start|stop|status|logs`."""

from __future__ import annotations

import argparse
import subprocess
import sys

from lakehouse import server
from lakehouse.commands.options import START_OPTIONS, add_options, settings_from
from lakehouse.config import load_settings
from lakehouse.connection import jdbc_url


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "server",
        help="start, stop and inspect the local Spark Thrift server",
        description="Lifecycle of the local Spark Thrift server (HiveServer2) with Delta Lake.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    start = actions.add_parser(
        "start", help="start the server; returns when it answers a query (exit 0 if already up)"
    )
    add_options(start, *START_OPTIONS)
    start.set_defaults(handler=_start)

    stop = actions.add_parser("stop", help="stop the server this project started")
    stop.set_defaults(handler=_stop)

    status = actions.add_parser("status", help="up or down, with pid, port and uptime")
    status.set_defaults(handler=_status)

    logs = actions.add_parser("logs", help="print the end of the server log")
    logs.add_argument("-n", "--lines", type=int, default=50, help="how many lines (default 50)")
    logs.add_argument("-f", "--follow", action="store_true", help="keep printing new lines")
    logs.set_defaults(handler=_logs)


def _start(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    info, already = server.start(settings)
    if already:
        print(f"The Thrift server is already running (pid {info.pid}, port {info.port}).")
    else:
        print(f"The Thrift server is up (pid {info.pid}) after {info.uptime_s:.0f} s.")
    print(f"JDBC: {jdbc_url(settings, port=info.port)}")
    print("Stop it with: lakehouse server stop")
    return 0


def _stop(args: argparse.Namespace) -> int:
    settings = load_settings()
    info = server.stop(settings)
    if info is None:
        print("No Thrift server of this project is running.")
    else:
        print(f"Stopped the Thrift server (pid {info.pid}).")
    return 0


def _status(args: argparse.Namespace) -> int:
    up, text = server.describe_status(load_settings())
    print(text)
    return 0 if up else 3  # like `systemctl status`: non-zero when down, for scripts


def _logs(args: argparse.Namespace) -> int:
    settings = load_settings()
    log = settings.server_log
    if not log.exists():
        print(f"No server log yet at {log}.")
        return 1
    command = ["tail", "-n", str(args.lines)] + (["-F"] if args.follow else []) + [str(log)]
    return subprocess.call(command, stdout=sys.stdout)
