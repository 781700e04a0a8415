"""Which database errors mean "unavailable" (503, code 94) and which are defects (500)."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from stoplist.observability.database_errors import describe, error_kind, failure_kind


def _raised(db, sql: str) -> DBAPIError:
    with pytest.raises(DBAPIError) as raised, db.read() as conn:
        conn.execute(text(sql))
    return raised.value


def test_a_missing_table_is_a_defect_not_an_outage(db):
    exc = _raised(db, "SELECT * FROM no_such_table")
    assert failure_kind(exc) is None
    assert error_kind(exc) in ("programming", "other")


def test_a_read_only_sqlite_file_is_an_outage(tmp_path):
    path = tmp_path / "ro.db"
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.close()
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    with pytest.raises(sqlite3.Error) as raised:
        connection.execute("INSERT INTO t VALUES (1)")
    connection.close()
    assert failure_kind(raised.value) == "read_only"
    assert describe(raised.value) == "OperationalError: attempt to write a readonly database"


def test_a_refused_postgresql_connection_is_an_outage():
    import psycopg

    with pytest.raises(psycopg.OperationalError) as raised:
        psycopg.connect("postgresql://postgres@127.0.0.1:1/postgres", connect_timeout=2)
    assert failure_kind(raised.value) == "unreachable"
