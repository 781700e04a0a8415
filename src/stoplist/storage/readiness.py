"""One cheap question to the database, on a connection of its own, with a short timeout.

``/readyz`` must answer quickly whether the database answers at all, so it
never waits in the main pool behind busy requests, nor for a server that
does not reply: SQLite is opened read-only with a short lock timeout,
PostgreSQL with a connect and statement timeout.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from urllib.parse import quote

import psycopg
from psycopg import errors as pg_errors
from sqlalchemy import text

from stoplist.storage.database import Database

_REVISION_SQL = "SELECT version_num FROM alembic_version"


@dataclass(frozen=True, slots=True)
class Probe:
    """What the database said: its schema revision (None: not created) and if it takes writes."""

    revision: str | None
    writable: bool


def probe(db: Database, timeout: float) -> Probe:
    """Ask ``db`` for its schema revision; raises the driver's error when it cannot answer."""
    if db.is_sqlite:
        return _probe_sqlite(db, timeout)
    return _probe_postgres(db, timeout)


def _probe_sqlite(db: Database, timeout: float) -> Probe:
    path = db.engine.url.database
    if not path or path == ":memory:":
        with db.engine.connect() as conn:
            return Probe(conn.execute(text(_REVISION_SQL)).scalar(), True)
    connection = sqlite3.connect(
        f"file:{quote(path)}?mode=ro", uri=True, timeout=timeout, isolation_level=None
    )
    try:
        try:
            revision = connection.execute(_REVISION_SQL).fetchone()
        except sqlite3.OperationalError as exc:
            if "no such table" not in str(exc):
                raise
            revision = None
    finally:
        connection.close()
    # A file that cannot be opened for writing (read-only, immutable, on a
    # read-only mount) takes no STOP, even when it still answers reads.
    writable = os.access(path, os.W_OK)
    return Probe(revision[0] if revision else None, writable)


def _probe_postgres(db: Database, timeout: float) -> Probe:
    url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(
        url,
        connect_timeout=max(1, round(timeout)),
        options=f"-c statement_timeout={int(timeout * 1000)}",
        autocommit=True,
    ) as conn:
        try:
            row = conn.execute(_REVISION_SQL).fetchone()
        except pg_errors.UndefinedTable:
            row = None
        read_only = conn.execute("SHOW transaction_read_only").fetchone()
    return Probe(row[0] if row else None, not (read_only and read_only[0] == "on"))
