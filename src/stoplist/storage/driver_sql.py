"""Statements sent to the DB-API driver as text, written once for both databases.

The hot statements skip SQLAlchemy's compilation (``Connection.exec_driver_sql``),
so they reach the driver as written, and the drivers disagree on how a
parameter is marked: ``sqlite3`` takes ``?`` and psycopg ``%s``. Statements
shared by both databases are written with ``?`` and passed through
``driver_sql``; they must hold no other ``?`` or ``%``. A statement written for
one database only uses its own driver's marks directly.
"""

from __future__ import annotations

from sqlalchemy import Connection


def driver_sql(conn: Connection, sql: str) -> str:
    """``sql`` (marked with ``?``) as the driver behind ``conn`` expects it."""
    return sql if conn.dialect.name == "sqlite" else psycopg_sql(sql)


def psycopg_sql(sql: str) -> str:
    """``sql`` (marked with ``?``) as psycopg expects it."""
    return sql.replace("?", "%s")
