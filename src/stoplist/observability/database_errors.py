"""Telling "the database is not answering" apart from a bug, without leaking data.

A database that is down, read-only, full or locked is an operational
condition: the request changed nothing and can be tried again, so clients
get a 503 and providers retry their webhooks. Anything else a driver raises
(a constraint we did not expect, bad SQL) is a defect and stays a 500.

Driver messages can quote the values of a statement (PostgreSQL's
``DETAIL: Key (...)=(...)``), so only ``describe`` may put them in a log.
"""

from __future__ import annotations

import logging
import sqlite3
import threading

import psycopg
from sqlalchemy import exc as sa_exc

from stoplist.observability.redaction import scrub

DATABASE_ERRORS: tuple[type[BaseException], ...] = (
    sa_exc.DBAPIError,
    sa_exc.TimeoutError,
    psycopg.Error,
    sqlite3.Error,
)
"""Every exception type a database call can raise, wrapped by SQLAlchemy or not."""

_SQLITE_FAILURES = {
    3: "read_only",  # SQLITE_PERM
    5: "locked",  # SQLITE_BUSY
    6: "locked",  # SQLITE_LOCKED
    8: "read_only",  # SQLITE_READONLY
    10: "io",  # SQLITE_IOERR
    11: "corrupt",  # SQLITE_CORRUPT
    13: "disk_full",  # SQLITE_FULL
    14: "unreachable",  # SQLITE_CANTOPEN
    15: "locked",  # SQLITE_PROTOCOL
    26: "corrupt",  # SQLITE_NOTADB
}

PREPARED_STATEMENTS_LOST = "prepared_statements"
"""The kind of a pooler losing this node's prepared statements: a setup to change, not an outage."""

_POSTGRES_FAILURES = {
    "25006": "read_only",  # read_only_sql_transaction (a standby, or a read-only default)
    "26000": PREPARED_STATEMENTS_LOST,  # invalid_sql_statement_name: "... does not exist"
    "40001": "locked",  # serialization_failure
    "40P01": "locked",  # deadlock_detected
    "42P05": PREPARED_STATEMENTS_LOST,  # duplicate_prepared_statement: "... already exists"
    "53100": "disk_full",
    "55P03": "locked",  # lock_not_available
    "57014": "timeout",  # query_canceled (statement_timeout)
    "57P01": "unreachable",  # admin_shutdown
    "57P02": "unreachable",  # crash_shutdown
    "57P03": "unreachable",  # cannot_connect_now (starting up, shutting down)
}

PREPARED_STATEMENTS_ADVICE = (
    "prepared statements lost (%s): a connection pooler in transaction mode (PgBouncer before "
    "1.21, or without max_prepared_statements) does not keep the statements a node prepares. "
    "Set STOPLIST_PREPARED_STATEMENTS=0 on every node, or use PgBouncer 1.21 or later with "
    "max_prepared_statements set"
)

logger = logging.getLogger("stoplist.database")
_advice = threading.Lock()
_advised = False


def failure_kind(exc: BaseException) -> str | None:
    """What kind of unavailability ``exc`` means, or None when it is not one."""
    if isinstance(exc, sa_exc.TimeoutError):
        return "pool_timeout"
    if isinstance(exc, sa_exc.DBAPIError):
        orig = exc.orig
        if isinstance(orig, psycopg.Error | sqlite3.Error):
            kind = failure_kind(orig)
        else:
            kind = "unavailable" if isinstance(exc, sa_exc.OperationalError) else None
        return "unreachable" if kind is None and exc.connection_invalidated else kind
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        return _SQLITE_FAILURES.get(code & 0xFF) if isinstance(code, int) else None
    if isinstance(exc, psycopg.Error):
        state = exc.sqlstate
        if state is not None and (state in _POSTGRES_FAILURES or state.startswith("08")):
            return _POSTGRES_FAILURES.get(state, "unreachable")
        if isinstance(exc, psycopg.InterfaceError):
            return "unreachable"  # the connection is closed
        if isinstance(exc, psycopg.OperationalError):
            return "unreachable" if state is None else "unavailable"
    return None


def error_kind(exc: BaseException) -> str:
    """A short, bounded label for any database error (a metric label, a log word)."""
    failure = failure_kind(exc)
    if failure is not None:
        return failure
    inner = exc.orig if isinstance(exc, sa_exc.DBAPIError) else exc
    for kind, names in (
        ("integrity", ("IntegrityError",)),
        ("data", ("DataError",)),
        ("programming", ("ProgrammingError",)),
    ):
        if any(cls.__name__ in names for cls in type(inner).__mro__):
            return kind
    return "other"


def describe(exc: BaseException) -> str:
    """One line about ``exc`` that is safe to log: the driver's first line, masked.

    SQLAlchemy's text adds the statement and its parameters; the driver's
    first line names the condition (``disk I/O error``, ``connection
    refused``) and PostgreSQL's values live on the lines after it.
    """
    inner = exc.orig if isinstance(exc, sa_exc.DBAPIError) and exc.orig is not None else exc
    lines = str(inner).strip().splitlines()
    first = lines[0].strip() if lines else ""
    first = first.split(" DETAIL:")[0]
    return f"{type(inner).__name__}: {scrub(first)[:300]}"


def advise_once(exc: BaseException) -> None:
    """Log what to change, once per process, when ``exc`` comes from a setup that cannot work.

    Lost prepared statements fail every request until the operator changes
    the setup; each failure logs its own short line, the remedy is said once.
    """
    global _advised
    if failure_kind(exc) != PREPARED_STATEMENTS_LOST:
        return
    with _advice:
        if _advised:
            return
        _advised = True
    logger.error(PREPARED_STATEMENTS_ADVICE, describe(exc))
