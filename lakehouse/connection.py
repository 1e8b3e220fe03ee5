"""Talking to the Thrift server: a PyHive cursor for the tooling, beeline for JDBC users."""

from __future__ import annotations

import csv
import os
import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from lakehouse.config import Settings
from lakehouse.spark_home import beeline, spark_home


def client_host(settings: Settings) -> str:
    """Where a client on this machine connects: a wildcard bind is reached via loopback."""
    return "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host


def jdbc_url(settings: Settings, schema: str = "gold", port: int | None = None) -> str:
    """The JDBC URL a client on this machine uses; analysts' tables are in the gold schema."""
    return f"jdbc:hive2://{client_host(settings)}:{port or settings.port}/{schema}"


@contextmanager
def connect(settings: Settings, timeout_s: int | None = None) -> Iterator[Any]:
    """A PyHive connection to the server (the same driver dbt-spark uses)."""
    from pyhive import hive

    username = os.environ.get("LAKEHOUSE_USER") or None
    password = os.environ.get("LAKEHOUSE_PASSWORD") or None
    kwargs: dict[str, Any] = {"host": client_host(settings), "port": settings.port}
    if password:
        kwargs.update(auth="CUSTOM", username=username, password=password)
    connection = hive.connect(**kwargs)
    try:
        yield connection
    finally:
        connection.close()


def query(settings: Settings, sql: str) -> list[tuple]:
    """Run one statement and return its rows ([] for a statement without a result set).

    Any error, in the statement or while fetching its rows, raises: an empty list always
    means the statement returned no rows, never that it failed."""
    with connect(settings) as connection:
        cursor = connection.cursor()
        cursor.execute(sql)
        if cursor.description is None:  # the server says there is no result set to fetch
            return []
        return list(cursor.fetchall())


def is_missing_relation(error: Exception) -> bool:
    """Whether a statement failed because its table or schema does not exist (PyHive wraps
    the server's error text)."""
    text = str(error)
    return "TABLE_OR_VIEW_NOT_FOUND" in text or "SCHEMA_NOT_FOUND" in text


def query_if_exists(settings: Settings, sql: str) -> list[tuple] | None:
    """query(), or None when the table the statement reads (or its schema) does not exist
    yet, e.g. before the first build created it."""
    try:
        return query(settings, sql)
    except Exception as error:
        if is_missing_relation(error):
            return None
        raise


def beeline_command(settings: Settings, schema: str = "default") -> list[str]:
    command = [str(beeline()), "-u", jdbc_url(settings, schema)]
    user = os.environ.get("LAKEHOUSE_USER")
    password = os.environ.get("LAKEHOUSE_PASSWORD")
    if user:
        command += ["-n", user]
    if password:
        command += ["-p", password]
    return command


def run_beeline(
    settings: Settings, sql: str, schema: str = "default", output_format: str = "csv2"
) -> subprocess.CompletedProcess[str]:
    """Run SQL through beeline, Spark's JDBC client, and capture what it prints."""
    command = beeline_command(settings, schema) + [
        "--silent=true",
        f"--outputformat={output_format}",
        "--showHeader=true",
        "-e",
        sql,
    ]
    env = dict(os.environ, SPARK_HOME=str(spark_home()))
    return subprocess.run(command, capture_output=True, text=True, env=env, check=False)


_PROMPT = re.compile(r"^\d+: jdbc:hive2://\S+> ?")


def beeline_rows(stdout: str) -> list[dict[str, str]]:
    """Rows of beeline's csv2 output as dicts (prompt echoes removed, NUL quote marks dropped)."""
    lines = [_PROMPT.sub("", line).replace("\x00", "") for line in stdout.splitlines()]
    lines = [line for line in lines if line.strip()]
    return list(csv.DictReader(lines))
