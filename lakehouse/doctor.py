"""Environment validation (the exercise's step 0, "TestConnection").

Each check is independent and reports pass/fail with a detail; a failed check never hides
the ones after it, unless they need what failed (no server -> no SQL checks).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lakehouse.config import DELTA_ARTIFACT, Settings
from lakehouse.connection import connect
from lakehouse.errors import LakehouseError
from lakehouse.jars import cached_jars
from lakehouse.java import check_java
from lakehouse.spark_home import pyspark_version

DOCTOR_SCHEMA = "lakehouse_doctor"
DOCTOR_TABLE = f"{DOCTOR_SCHEMA}.delta_check"


@dataclass
class Check:
    name: str
    passed: bool
    detail: str


def _java() -> str:
    info = check_java()
    return f"Java {info.version} ({info.executable})"


def _pyspark() -> str:
    version = pyspark_version()
    if not version.startswith("4."):
        raise LakehouseError(f"pyspark {version} installed; this project needs 4.x")
    return f"pyspark {version}"


def _delta_jars(settings: Settings) -> str:
    jars = cached_jars(settings)
    if not any("delta-spark" in jar.name for jar in jars):
        raise LakehouseError(f"no Delta jars in {settings.jars_dir}; run `lakehouse server start`")
    return f"{DELTA_ARTIFACT}: {len(jars)} jars in {settings.jars_dir}"


class _SqlChecks:
    """The checks that talk to the server, sharing one connection."""

    def __init__(self, cursor) -> None:
        self.cursor = cursor

    def rows(self, sql: str) -> list[tuple]:
        self.cursor.execute(sql)
        try:
            return list(self.cursor.fetchall())
        except Exception:  # statements without a result set
            return []

    def connection(self) -> str:
        (version,) = self.rows("select version()")[0]
        return f"Spark {version.split()[0]} answers over Thrift"

    def create_and_read(self) -> str:
        self.rows(f"create schema if not exists {DOCTOR_SCHEMA}")
        self.rows(f"drop table if exists {DOCTOR_TABLE}")
        self.rows(
            f"create table {DOCTOR_TABLE} using delta as "
            "select * from values (1, 'before'), (2, 'untouched') as t(id, label)"
        )
        got = sorted(self.rows(f"select id, label from {DOCTOR_TABLE}"))
        if got != [(1, "before"), (2, "untouched")]:
            raise LakehouseError(f"read back {got}, expected the 2 rows written")
        return f"created {DOCTOR_TABLE} and read its 2 rows back"

    def detail(self) -> dict[str, object]:
        self.cursor.execute(f"describe detail {DOCTOR_TABLE}")
        names = [column[0] for column in self.cursor.description]
        return dict(zip(names, self.cursor.fetchall()[0], strict=True))

    def is_delta(self) -> str:
        table_format = self.detail()["format"]
        if table_format != "delta":
            raise LakehouseError(f"DESCRIBE DETAIL says format {table_format!r}, not delta")
        return "DESCRIBE DETAIL: format delta"

    def time_travel(self) -> str:
        self.rows(f"update {DOCTOR_TABLE} set label = 'after' where id = 1")
        now = self.rows(f"select label from {DOCTOR_TABLE} where id = 1")
        then = self.rows(f"select label from {DOCTOR_TABLE} version as of 0 where id = 1")
        if now != [("after",)] or then != [("before",)]:
            raise LakehouseError(f"after update: now {now}, version 0 {then}")
        return "updated a row; VERSION AS OF 0 still shows the old value"

    def warehouse(self, settings: Settings) -> str:
        location = str(self.detail()["location"]).removeprefix("file:")
        expected = settings.warehouse_dir.resolve()
        if not Path(location).resolve().is_relative_to(expected):
            raise LakehouseError(f"table stored at {location}, expected under {expected}")
        return f"tables are stored under {expected}"

    def cleanup(self) -> None:
        self.rows(f"drop table if exists {DOCTOR_TABLE}")
        self.rows(f"drop schema if exists {DOCTOR_SCHEMA}")


def _run(name: str, check: Callable[[], str]) -> Check:
    try:
        return Check(name, True, check())
    except LakehouseError as error:
        return Check(name, False, error.message)
    except Exception as error:  # an unexpected failure is still a failed check, not a crash
        return Check(name, False, f"{type(error).__name__}: {str(error).strip()[:300]}")


def run_checks(settings: Settings) -> list[Check]:
    checks = [
        _run("java", _java),
        _run("pyspark", _pyspark),
        _run("delta jars", lambda: _delta_jars(settings)),
    ]
    try:
        with connect(settings) as connection:
            sql = _SqlChecks(connection.cursor())
            checks.append(_run("thrift connection", sql.connection))
            checks.append(_run("create + read delta table", sql.create_and_read))
            checks.append(_run("table format is delta", sql.is_delta))
            checks.append(_run("update + time travel", sql.time_travel))
            checks.append(_run("warehouse location", lambda: sql.warehouse(settings)))
            sql.cleanup()
    except Exception as error:
        checks.append(
            Check(
                "thrift connection",
                False,
                f"cannot connect to {settings.host}:{settings.port} ({type(error).__name__}); "
                "start the server with `lakehouse server start`",
            )
        )
    return checks


def format_table(checks: list[Check]) -> str:
    width = max(len(check.name) for check in checks)
    lines = [f"{'check'.ljust(width)}  result  detail", f"{'-' * width}  ------  ------"]
    for check in checks:
        lines.append(f"{check.name.ljust(width)}  {'PASS' if check.passed else 'FAIL':6}  "
                     f"{check.detail}")  # fmt: skip
    passed = sum(check.passed for check in checks)
    lines.append(f"\n{passed} of {len(checks)} checks passed")
    return "\n".join(lines)
