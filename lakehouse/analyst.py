"""Analysts' access to the running server: SQL from a string, a file or a compiled analysis.

Queries go through PyHive (the driver dbt-spark uses) and the result is printed as a table,
CSV or JSON. The interactive client is Spark's beeline (the Hive JDBC driver).
"""

from __future__ import annotations

import csv
import json
import os
import socket
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from lakehouse.config import PROJECT_DIR, Settings
from lakehouse.connection import beeline_command, client_host, connect
from lakehouse.errors import LakehouseError
from lakehouse.spark_home import spark_home

ANALYSES_DIR = PROJECT_DIR / "analyses"
COMPILED_ANALYSES_DIR = PROJECT_DIR / "target" / "compiled" / "retail_lakehouse" / "analyses"
FORMATS = ("table", "csv", "json")


@dataclass
class Result:
    columns: list[str]
    rows: list[tuple]


# ---------------------------------------------------------------------------- the server


def require_server(settings: Settings) -> None:
    """Fail with a clear message when nothing answers on the server's port."""
    host = client_host(settings)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(2)
        if probe.connect_ex((host, settings.port)) == 0:
            return
    raise LakehouseError(
        f"No Thrift server is answering on {host}:{settings.port}.",
        "Start it with `lakehouse server start` (or `lakehouse run`), or point LAKEHOUSE_HOST / "
        "LAKEHOUSE_PORT at a running one.",
    )


def open_beeline(settings: Settings, schema: str) -> None:
    """Replace this process with an interactive beeline connected to the server."""
    require_server(settings)
    command = beeline_command(settings, schema)
    env = dict(os.environ, SPARK_HOME=str(spark_home()))
    os.execvpe(command[0], command, env)


# ---------------------------------------------------------------------------- SQL text


def split_statements(text: str) -> list[str]:
    """The statements of a SQL script (semicolons inside quotes and comments respected)."""
    import sqlparse

    statements = [s.strip().rstrip(";").strip() for s in sqlparse.split(text)]
    return [s for s in statements if sqlparse.format(s, strip_comments=True).strip()]


def analysis_names() -> list[str]:
    return sorted(p.stem for p in ANALYSES_DIR.glob("*.sql"))


def compiled_analysis(settings: Settings, name: str) -> str:
    """The compiled SQL of analyses/<name>.sql, compiling it when it is missing or stale."""
    source = ANALYSES_DIR / f"{name}.sql"
    if not source.exists():
        raise LakehouseError(
            f"There is no analysis named {name!r}.",
            "Available: " + ", ".join(analysis_names()),
        )
    compiled = COMPILED_ANALYSES_DIR / f"{name}.sql"
    if not compiled.exists() or compiled.stat().st_mtime < source.stat().st_mtime:
        from lakehouse.dbt_runner import run_dbt

        print(f"Compiling analysis {name} with dbt ...", file=sys.stderr)
        result = run_dbt(settings, ["compile", "--select", name], capture=True)
        if result.returncode != 0 or not compiled.exists():
            raise LakehouseError(
                f"`dbt compile --select {name}` failed:\n{result.stdout[-2000:]}",
                "Fix the analysis, or run `lakehouse dbt compile` to see the whole output.",
            )
    return compiled.read_text()


def read_sql(settings: Settings, sql: str | None, file: str | None, analysis: str | None) -> str:
    given = [value for value in (sql, file, analysis) if value]
    if len(given) != 1:
        raise LakehouseError(
            "Give exactly one of: a SQL string, --file PATH or --analysis NAME.",
            'e.g. lakehouse sql "select count(*) from fct_sales"',
        )
    if file:
        path = Path(file)
        if not path.is_file():
            raise LakehouseError(f"SQL file not found: {path}")
        return path.read_text()
    if analysis:
        return compiled_analysis(settings, analysis)
    return sql or ""


# ---------------------------------------------------------------------------- running


def run_sql(settings: Settings, text: str, schema: str) -> list[Result]:
    """Run each statement in order on one session; the results of those that return rows."""
    require_server(settings)
    statements = split_statements(text)
    if not statements:
        raise LakehouseError("No SQL statement to run.")
    results = []
    with _session(settings) as connection:
        cursor = connection.cursor()
        for index, statement in enumerate([f"use {schema}", *statements]):
            try:
                cursor.execute(statement)
            except Exception as exc:
                raise LakehouseError(
                    f"The query failed: {_server_message(exc)}",
                    f"Statement: {_shorten(statement)}",
                ) from exc
            if index and cursor.description:
                columns = [column[0].split(".")[-1] for column in cursor.description]
                results.append(Result(columns, [tuple(row) for row in cursor.fetchall()]))
    return results


@contextmanager
def _session(settings: Settings) -> Iterator[Any]:
    """A connection, with a login refused by the server turned into a clear message."""
    from thrift.transport.TTransport import TTransportException

    try:
        session = connect(settings)
        connection = session.__enter__()
    except TTransportException as exc:
        raise LakehouseError(
            f"The server at {client_host(settings)}:{settings.port} refused the connection "
            f"({exc}).",
            "It requires authentication: set LAKEHOUSE_USER and LAKEHOUSE_PASSWORD.",
        ) from exc
    try:
        yield connection
    finally:
        session.__exit__(None, None, None)


def _server_message(exc: Exception) -> str:
    """The server's own error text from a PyHive exception, without the Java stack."""
    response = exc.args[0] if exc.args else None
    message = getattr(getattr(response, "status", None), "errorMessage", None) or str(exc)
    lines = []
    for line in message.splitlines():
        if line.lstrip().startswith("at "):
            continue
        lines.append(line)
        if "SQLSTATE" in line:  # what follows is the query plan
            break
    return "\n".join(lines[:6])


def _shorten(statement: str, limit: int = 200) -> str:
    flat = " ".join(statement.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


# ---------------------------------------------------------------------------- printing


def _text(value: Any) -> str:
    return "NULL" if value is None else str(value)


def print_result(result: Result, output_format: str, out: TextIO = sys.stdout) -> None:
    if output_format == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(result.columns)
        writer.writerows([["" if v is None else v for v in row] for row in result.rows])
    elif output_format == "json":
        records = [dict(zip(result.columns, row, strict=True)) for row in result.rows]
        json.dump(records, out, indent=2, default=str)
        out.write("\n")
    else:
        out.write(format_table(result.columns, result.rows))


def format_table(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    cells = [[_text(v) for v in row] for row in rows]
    widths = [len(c) for c in columns]
    for row in cells:
        widths = [max(w, len(v)) for w, v in zip(widths, row, strict=True)]
    border = "+" + "+".join("-" * (w + 2) for w in widths) + "+"

    def line(values: Sequence[str]) -> str:
        return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)) + " |"

    body = [border, line(list(columns)), border, *(line(row) for row in cells), border]
    count = len(cells)
    return "\n".join(body) + f"\n({count} row{'s' if count != 1 else ''})\n"
