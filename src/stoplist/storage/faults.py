"""Telling a full disk from other failures, whatever layer noticed it.

SQLite says ``database or disk is full`` (``SQLITE_FULL``), PostgreSQL
``DiskFull`` (SQLSTATE 53100), and our own files (spooled uploads, kept
lists) an ``OSError`` with ``ENOSPC`` or ``EDQUOT``. SQLAlchemy wraps the
drivers' errors, so the whole chain of causes is looked at.
"""

from __future__ import annotations

import errno
import sqlite3

import psycopg

_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
_POSTGRES_DISK_FULL = "53100"


def is_storage_full(error: BaseException) -> bool:
    """Whether ``error`` (or anything that caused it) means there is no space left."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if _says_full(current):
            return True
        pending += [getattr(current, "orig", None), current.__cause__, current.__context__]
    return False


def _says_full(error: BaseException) -> bool:
    if isinstance(error, sqlite3.Error):
        code = getattr(error, "sqlite_errorcode", None)
        return code is not None and code & 0xFF == sqlite3.SQLITE_FULL
    if isinstance(error, psycopg.Error):
        return error.sqlstate == _POSTGRES_DISK_FULL
    return isinstance(error, OSError) and error.errno in _FULL_ERRNOS
