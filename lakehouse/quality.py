"""Quality results people can read: the test history that every `dbt build` / `dbt test`
appends to `audit.data_test_history` (the `record_data_test_results` on-run-end hook),
printed as the latest run and as a trend of failures per test across the last runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lakehouse.analyst import format_table, require_server
from lakehouse.config import Settings
from lakehouse.connection import connect, is_missing_relation
from lakehouse.errors import LakehouseError

HISTORY_TABLE = "audit.data_test_history"
# Worst first: the order the latest run is listed in.
STATUS_ORDER = {"error": 0, "fail": 1, "warn": 2, "skipped": 3, "pass": 4, "success": 5}
STATUS_MARK = {"error": "E", "fail": "F", "warn": "W", "skipped": "S"}


@dataclass(frozen=True)
class Run:
    invocation_id: str
    started_at: datetime
    command: str
    tests: int
    passed: int
    warned: int
    failed: int  # fail or error


@dataclass(frozen=True)
class TestResult:
    invocation_id: str
    test_name: str
    tested_node: str
    status: str
    failures: int | None
    execution_time_s: float | None


def _fetch(settings: Settings, sql: str) -> list[tuple]:
    with connect(settings) as connection:
        cursor = connection.cursor()
        try:
            cursor.execute(sql)
        except Exception as error:  # PyHive wraps the server's error text
            if is_missing_relation(error):
                raise LakehouseError(
                    f"No quality history yet: {HISTORY_TABLE} does not exist on this server.",
                    "Run `lakehouse dbt build` (or `lakehouse run`): every build and test run "
                    "records its test results there.",
                ) from None
            raise
        return list(cursor.fetchall())


def recent_runs(settings: Settings, runs: int) -> list[Run]:
    """The last `runs` invocations that recorded test results, newest first."""
    rows = _fetch(
        settings,
        f"""
        select
            invocation_id,
            max(run_started_at) as started_at,
            max(dbt_command) as command,
            count(*) as tests,
            count_if(status = 'pass') as passed,
            count_if(status = 'warn') as warned,
            count_if(status in ('fail', 'error')) as failed
        from {HISTORY_TABLE}
        group by invocation_id
        order by started_at desc
        limit {int(runs)}
        """,
    )
    return [Run(*row) for row in rows]


def results_of(settings: Settings, invocation_ids: list[str]) -> list[TestResult]:
    if not invocation_ids:
        return []
    ids = ", ".join("'" + i.replace("'", "") + "'" for i in invocation_ids)
    rows = _fetch(
        settings,
        f"""
        select invocation_id, test_name, tested_node, status, failures, execution_time_s
        from {HISTORY_TABLE}
        where invocation_id in ({ids})
        """,
    )
    return [TestResult(*row) for row in rows]


def format_latest(run: Run, results: list[TestResult], failing_only: bool = False) -> str:
    shown = [r for r in results if r.invocation_id == run.invocation_id]
    if failing_only:
        shown = [r for r in shown if r.status != "pass"]
    shown.sort(key=lambda r: (STATUS_ORDER.get(r.status, 9), r.tested_node or "", r.test_name))
    header = (
        f"Latest run: dbt {run.command}, started {run.started_at:%Y-%m-%d %H:%M:%S} UTC, "
        f"invocation {run.invocation_id}\n"
        f"{run.tests} tests: {run.passed} passed, {run.warned} warned, {run.failed} failed "
        "(failing rows of bronze/silver tests are kept in the `audit` schema)\n"
    )
    table = format_table(
        ["status", "test", "model", "failing rows", "seconds"],
        [
            (r.status, r.test_name, r.tested_node, r.failures, f"{r.execution_time_s or 0:.2f}")
            for r in shown
        ],
    )
    return header + table


def format_trend(runs: list[Run], results: list[TestResult]) -> str:
    """Failing rows per test across the runs (oldest to newest) for every test that did not
    pass in at least one of them: `.` passed, `W n` warned, `F n` failed, `E` error, `-` not
    run."""
    ordered = list(reversed(runs))
    cells: dict[tuple[str, str], dict[str, str]] = {}
    for result in results:
        key = (result.test_name, result.tested_node or "")
        mark = STATUS_MARK.get(result.status)
        text = "." if mark is None else f"{mark} {result.failures if result.failures else ''}"
        cells.setdefault(key, {})[result.invocation_id] = text.strip()
    not_passing = {
        key: by_run
        for key, by_run in cells.items()
        if any(value != "." for value in by_run.values())
    }
    columns = ["test", "model"] + [f"{run.started_at:%m-%d %H:%M}" for run in ordered]
    rows = [
        (test, node, *(by_run.get(run.invocation_id, "-") for run in ordered))
        for (test, node), by_run in sorted(not_passing.items())
    ]
    title = (
        f"Trend over the last {len(ordered)} run(s), oldest first: failing rows per test "
        "(. passed, W warned, F failed, E error, - not run); tests that always passed are "
        "left out.\n"
    )
    if not rows:
        return title + "Every test passed in every run.\n"
    return title + format_table(columns, rows)


def report(settings: Settings, runs: int = 5, failing_only: bool = False) -> str:
    require_server(settings)
    if runs < 1:
        raise LakehouseError(f"--runs {runs} is not a number of runs.", "Use --runs 1 or more.")
    recent = recent_runs(settings, runs)
    if not recent:
        raise LakehouseError(
            f"{HISTORY_TABLE} holds no test results yet.",
            "Run `lakehouse dbt build` or `lakehouse dbt test` to record some.",
        )
    results = results_of(settings, [run.invocation_id for run in recent])
    return format_latest(recent[0], results, failing_only) + "\n" + format_trend(recent, results)
