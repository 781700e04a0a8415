"""A database that cannot be opened is diagnosed as facts: the cause and the names involved.

Each failure is real (a missing directory, a file that is not a database, a
PostgreSQL server without that role or database, a port nobody listens on);
the words are the command line's, tested in ``tests/cli/test_database_errors.py``.
"""

from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url

from stoplist.storage.database import Database
from stoplist.storage.diagnose import Cause, Diagnosis, diagnose, precheck
from tests.support import free_port, postgres_url_with, reachable_postgres_url


def _failure(url: str) -> Diagnosis:
    try:
        database = Database(url, pool_size=1)
        database.migrate()
    except Exception as error:
        return diagnose(url, error)
    database.dispose()
    raise AssertionError(f"{url} opened")


@pytest.fixture(scope="module")
def postgres() -> str:
    return reachable_postgres_url()


def test_sqlite_missing_directory_is_seen_before_connecting(tmp_path):
    database = tmp_path / "absent" / "stoplist.db"
    expected = Diagnosis(Cause.MISSING_DIRECTORY, str(database), path=str(tmp_path / "absent"))
    assert precheck(f"sqlite:///{database}") == expected
    assert _failure(f"sqlite:///{database}") == expected
    assert precheck(f"sqlite:///{tmp_path / 'stoplist.db'}") is None


def test_sqlite_file_that_is_not_a_database(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database\n" * 100)
    assert precheck(f"sqlite:///{notes}") is None
    assert _failure(f"sqlite:///{notes}") == Diagnosis(
        Cause.NOT_A_DATABASE, str(notes), path=str(notes)
    )


def test_postgresql_role_database_and_port(postgres):
    server = make_url(postgres)
    host, port = server.host, server.port or 5432
    assert precheck(postgres) is None

    role = _failure(postgres_url_with(postgres, username="no_such_role_here"))
    assert (role.cause, role.name, role.host, role.port) == (
        Cause.NO_ROLE,
        "no_such_role_here",
        host,
        port,
    )
    assert role.where.startswith("postgresql") and role.detail is None

    database = _failure(postgres_url_with(postgres, database="no_such_database_here"))
    assert (database.cause, database.name) == (Cause.NO_DATABASE, "no_such_database_here")

    closed = free_port()
    nobody = _failure(postgres_url_with(postgres, port=closed, password="hunter2"))
    assert (nobody.cause, nobody.host, nobody.port) == (Cause.NOTHING_LISTENING, host, closed)
    assert "***" in nobody.where and "hunter2" not in nobody.where


def test_an_unrecognised_error_keeps_the_drivers_line(tmp_path):
    found = diagnose(f"sqlite:///{tmp_path / 'x.db'}", RuntimeError("something odd\nmore"))
    assert (found.cause, found.detail) == (Cause.OTHER, "something odd")
