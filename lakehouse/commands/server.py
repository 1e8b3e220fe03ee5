"""`lakehouse server start|stop|status|logs`."""

from __future__ import annotations

import argparse
import subprocess
import sys

from lakehouse import server
from lakehouse.config import Settings, load_settings
from lakehouse.connection import jdbc_url


def add_server_options(parser: argparse.ArgumentParser) -> None:
    """Options that choose which server (shared by every command that talks to one)."""
    parser.add_argument("--host", help="address to bind (default 127.0.0.1, env LAKEHOUSE_HOST)")
    parser.add_argument("--port", type=int, help="Thrift port (default 10000, env LAKEHOUSE_PORT)")


def settings_from(args: argparse.Namespace) -> Settings:
    return load_settings().with_overrides(
        host=getattr(args, "host", None),
        port=getattr(args, "port", None),
        driver_memory=getattr(args, "driver_memory", None),
        master=getattr(args, "master", None),
        metastore_url=getattr(args, "metastore", None),
    )


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
    add_server_options(start)
    start.add_argument("--driver-memory", help="e.g. 4g (default 2g, env LAKEHOUSE_DRIVER_MEMORY)")
    start.add_argument(
        "--master", help="Spark master, e.g. local[2] or spark://host:7077 (default local[*])"
    )
    start.add_argument(
        "--metastore",
        metavar="URL",
        help="shared PostgreSQL metastore, postgresql://user:password@host:5432/db "
        "(default: embedded Derby; env LAKEHOUSE_METASTORE_URL keeps the password off the "
        "command line)",
    )
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
