"""`query()`: an error, in the statement or while its rows are fetched, raises; an empty list
only ever means no rows."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from pyhive.exc import OperationalError

from lakehouse import connection
from lakehouse.config import Settings
from lakehouse.connection import query


class _Cursor:
    def __init__(self, description, fetch_error: Exception | None = None) -> None:
        self.description = description
        self.fetch_error = fetch_error
        self.fetched = False

    def execute(self, sql: str) -> None:
        pass

    def fetchall(self) -> list[tuple]:
        self.fetched = True
        if self.fetch_error:
            raise self.fetch_error
        return [(1,)]


def _fake_server(monkeypatch: pytest.MonkeyPatch, cursor: _Cursor) -> None:
    class _Connection:
        def cursor(self) -> _Cursor:
            return cursor

    @contextmanager
    def fake_connect(settings, timeout_s=None):
        yield _Connection()

    monkeypatch.setattr(connection, "connect", fake_connect)


def test_an_error_while_fetching_rows_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    cursor = _Cursor([("x", "INT_TYPE", None, None, None, None, True)], OSError("socket closed"))
    _fake_server(monkeypatch, cursor)
    with pytest.raises(OSError, match="socket closed"):
        query(Settings.__new__(Settings), "select x from t")


def test_a_statement_without_a_result_set_is_not_fetched(monkeypatch: pytest.MonkeyPatch) -> None:
    cursor = _Cursor(None, AssertionError("fetched a statement without a result set"))
    _fake_server(monkeypatch, cursor)
    assert query(Settings.__new__(Settings), "create schema s") == []
    assert not cursor.fetched


def test_on_the_server_errors_raise_and_empty_means_no_rows(
    lakehouse_server: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = lakehouse_server
    # DDL and DML answer with an empty result set; a query matching nothing with no rows.
    assert query(settings, "create schema if not exists query_probe") == []
    try:
        assert query(settings, "create table query_probe.t (a int) using delta") == []
        assert query(settings, "insert into query_probe.t values (1), (2)") == []
        assert query(settings, "select a from query_probe.t where a > 5") == []
        assert query(settings, "select a from query_probe.t order by a") == [(1,), (2,)]
    finally:
        query(settings, "drop schema query_probe cascade")
    with pytest.raises(OperationalError, match="TABLE_OR_VIEW_NOT_FOUND"):
        query(settings, "select 1 from query_probe.t")

    # A statement that fails only once its rows are fetched: with incremental collect, the
    # server runs the query while the client fetches, so the error arrives with the fetch.
    real_connect = connection.connect

    @contextmanager
    def streaming_connect(settings, timeout_s=None):
        with real_connect(settings) as session:
            session.cursor().execute("set spark.sql.thriftServer.incrementalCollect=true")
            yield session

    monkeypatch.setattr(connection, "connect", streaming_connect)
    with pytest.raises(OperationalError, match="fails while fetched"):
        query(settings, "select raise_error(concat('fails while fetched ', id)) from range(3)")
