"""Copying a live SQLite database to one self-contained file.

SQLite's online backup API reads a consistent snapshot through an ordinary
connection: in WAL mode readers never block writers, so the server keeps
answering (and committing) while the copy is made, and the copy holds
exactly the transactions committed before it started. It is copied in one
step on purpose: a stepwise copy starts over whenever another connection
writes, which under steady traffic may be forever.

The copy is written beside its destination under a temporary name, checked,
flushed to disk, then renamed into place, so a crash or a full disk never
leaves a half-written file under the backup's name.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import stat
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from stoplist.storage import owner_only


@dataclass(frozen=True, slots=True)
class SqliteCopy:
    path: Path
    size: int
    stops: int


def copy_sqlite(source: Path, destination: Path, *, overwrite: bool = False) -> SqliteCopy:
    """Copy the database at ``source`` to ``destination``.

    Raises ``FileExistsError`` when ``destination`` exists and ``overwrite``
    is false (checked again at the rename, so a file that appears meanwhile
    is not replaced either), and ``ValueError`` when it is the source itself.
    """
    if destination.exists() and destination.resolve() == source.resolve():
        raise ValueError("the backup cannot replace the database itself")
    if destination.exists() and not overwrite:
        raise FileExistsError(str(destination))
    temporary = _beside(destination)
    try:
        stops = _copy(source, temporary)
        _fsync(temporary)
        if overwrite:
            os.replace(temporary, destination)
        else:
            os.link(temporary, destination)  # fails, instead of replacing, if it now exists
            temporary.unlink()
        _fsync_directory(destination.parent)
    finally:
        temporary.unlink(missing_ok=True)
        # A copy that failed half-way (a full disk) may leave its rollback journal.
        Path(f"{temporary}-journal").unlink(missing_ok=True)
    return SqliteCopy(destination, destination.stat().st_size, stops)


@contextmanager
def whole_file(destination: Path) -> Iterator[BinaryIO]:
    """A file to write that replaces ``destination`` only once it is whole.

    The same way as a backup's copy: written beside it under a temporary
    name, flushed to disk, then renamed over it, so a failed write (a full
    disk, an interrupted command) leaves the file that was there intact and
    no partial one. ``OSError`` as the system gives it (a missing directory:
    ``FileNotFoundError``).
    """
    temporary = _beside(destination)
    try:
        kept_mode = stat.S_IMODE(destination.stat().st_mode)
    except FileNotFoundError:
        kept_mode = None
    try:
        with temporary.open("xb") as handle:
            if kept_mode is not None:
                os.fchmod(handle.fileno(), kept_mode)  # the file replaced keeps its permissions
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, destination)
        _fsync_directory(destination.parent)
    finally:
        temporary.unlink(missing_ok=True)


def _beside(destination: Path) -> Path:
    """A temporary name in ``destination``'s directory, so the rename never crosses disks."""
    return destination.with_name(f".{destination.name}.{uuid.uuid4().hex[:8]}.tmp")


def _copy(source: Path, target: Path) -> int:
    """Copy into ``target``; SQLite's errors come out as the ``OSError`` they stand for.

    A full disk is SQLite's "database or disk is full" while it writes the
    copy: callers that report a failed write (``ENOSPC``, as any other file
    write would) need not know SQLite's exceptions.
    """
    try:
        return _sqlite_backup(source, target)
    except sqlite3.Error as error:
        raise _as_os_error(error) from error


def _as_os_error(error: sqlite3.Error) -> OSError:
    if getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
        return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    return OSError(errno.EIO, str(error))


def _sqlite_backup(source: Path, target: Path) -> int:
    # The copy holds personal data: readable by its owner only, from the start.
    owner_only.create_file(target)
    reader = sqlite3.connect(source, timeout=30)
    try:
        writer = sqlite3.connect(target)
        try:
            reader.backup(writer)
            # One file, readable without its -wal beside it.
            writer.execute("PRAGMA journal_mode=DELETE")
            (verdict,) = writer.execute("PRAGMA quick_check").fetchone()
            if verdict != "ok":
                raise sqlite3.DatabaseError(f"the copy failed its check: {verdict}")
            (stops,) = writer.execute("SELECT count(*) FROM stops").fetchone()
        finally:
            writer.close()
    finally:
        reader.close()
    return int(stops)


def _fsync(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


def _fsync_directory(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
