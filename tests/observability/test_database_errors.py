"""Which database errors mean "unavailable" (503, code 94) and which are defects (500)."""

from __future__ import annotations

import logging
import sqlite3

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, ProgrammingError

from stoplist.observability import database_errors
from stoplist.observability.database_errors import (
    PREPARED_STATEMENTS_LOST,
    advise_once,
    describe,
    error_kind,
    failure_kind,
)


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
    with pytest.raises(psycopg.OperationalError) as raised:
        psycopg.connect("postgresql://postgres@127.0.0.1:1/postgres", connect_timeout=2)
    assert failure_kind(raised.value) == "unreachable"


def _driver_error(db, *statements: str) -> psycopg.Error:
    """What psycopg raises for ``statements``, on a connection of its own (none is pooled)."""
    url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as conn, pytest.raises(psycopg.Error) as raised:
        for statement in statements:
            conn.execute(statement)
    return raised.value


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize(
    "statements",
    [
        ("EXECUTE never_prepared",),
        ("PREPARE twice AS SELECT 1", "PREPARE twice AS SELECT 1"),
    ],
    ids=["does-not-exist", "already-exists"],
)
def test_lost_prepared_statements_are_an_outage_of_their_own_kind(db, statements):
    # What a pooler that moves a connection's transactions between servers causes.
    error = _driver_error(db, *statements)
    wrapped = ProgrammingError("SELECT 1", None, error)
    assert failure_kind(error) == failure_kind(wrapped) == PREPARED_STATEMENTS_LOST
    assert error_kind(wrapped) == PREPARED_STATEMENTS_LOST


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_the_remedy_for_lost_prepared_statements_is_logged_once(db, caplog, monkeypatch):
    monkeypatch.setattr(database_errors, "_advised", False)
    lost = _driver_error(db, "EXECUTE never_prepared")
    refused = _driver_error(db, "SELECT * FROM no_such_table")
    with caplog.at_level(logging.ERROR, logger="stoplist.database"):
        for error in (refused, lost, lost, refused, lost):
            advise_once(error)
    assert [record.levelno for record in caplog.records] == [logging.ERROR]
    assert "STOPLIST_PREPARED_STATEMENTS=0" in caplog.text
    assert "never_prepared" in caplog.text  # the driver's first line, which names no value
