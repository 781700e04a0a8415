"""Backups: a consistent copy of a SQLite database, or what to run for PostgreSQL.

What a restore needs besides the database: the secrets key file, which
stays out of the copy on purpose (a stolen backup alone opens no secret),
so it is named for the operator to keep separately. The kept whole-list
answers (``<database>-lists/``) need no backup: they are remade on demand
and never used against a database they were not made from.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from stoplist.database_url import without_password
from stoplist.storage import secrets
from stoplist.storage.backup import SqliteCopy, copy_sqlite
from stoplist.storage.database import Database


class NotSqlite(Exception):
    """The database is PostgreSQL: ``pg_dump`` makes its backups."""

    def __init__(self, command: str) -> None:
        super().__init__(command)
        self.command = command


class NoSuchDirectory(Exception):
    """The backup's directory does not exist (it is not made: a typo should not be)."""


@dataclass(frozen=True, slots=True)
class Backup:
    copy: SqliteCopy
    made_at: datetime


def backup(
    db: Database, destination: Path, *, overwrite: bool = False, into_directory: bool = False
) -> Backup:
    """Copy ``db`` to ``destination`` (a file, or a directory to put a dated file in).

    Safe while servers write to the database. ``into_directory`` says that
    ``destination`` was given as a directory (``backups/``) even if it does
    not exist yet. ``FileExistsError`` rather than replacing a file unless
    ``overwrite``; ``NotSqlite`` on PostgreSQL; ``NoSuchDirectory`` when the
    destination's directory does not exist.
    """
    made_at = datetime.now(UTC)
    if not db.is_sqlite:
        raise NotSqlite(pg_dump_command(db, destination, into_directory, made_at))
    source = Path(db.engine.url.database or "")
    dated_name = f"{source.stem}-{made_at:%Y%m%dT%H%M%SZ}"
    target = _target(destination, f"{dated_name}.db", into_directory)
    if not target.parent.is_dir():
        raise NoSuchDirectory(str(target.parent))
    if _is_directory(destination, into_directory):
        return Backup(_copy_to_free_name(source, target.parent, dated_name), made_at)
    return Backup(copy_sqlite(source, target, overwrite=overwrite), made_at)


def _copy_to_free_name(source: Path, directory: Path, dated_name: str) -> SqliteCopy:
    """Copy into ``directory`` under the dated name, or ``-2``, ``-3``... if it is taken.

    The name is stoplist's choice, so an earlier backup made within the same
    second (a retried cron job) is kept, whatever ``--force`` says.
    """
    for attempt in itertools.count(1):
        suffix = "" if attempt == 1 else f"-{attempt}"
        target = directory / f"{dated_name}{suffix}.db"
        if target.exists() or target.is_symlink():
            continue
        try:
            return copy_sqlite(source, target)
        except FileExistsError:
            continue  # made meanwhile by another backup
    raise AssertionError("unreachable")


def _target(destination: Path, dated_name: str, into_directory: bool) -> Path:
    """The file to write: ``destination``, or ``dated_name`` in it when it is a directory.

    A directory that does not exist is not made (a typo should not be): the
    caller finds the file's parent missing and says so.
    """
    destination = destination.expanduser().absolute()
    if _is_directory(destination, into_directory):
        return destination / dated_name
    return destination


def _is_directory(destination: Path, into_directory: bool) -> bool:
    return into_directory or destination.expanduser().is_dir()


def secrets_key_file(db: Database) -> Path | None:
    """Where the key that seals the database's secrets is kept (it may not exist yet)."""
    return secrets.key_path(db.engine)


def list_cache_directory(db: Database) -> Path | None:
    """The default directory of kept whole-list answers beside a SQLite file."""
    return Path(f"{db.engine.url.database}-lists") if db.is_sqlite else None


def pg_dump_command(
    db: Database, destination: Path, into_directory: bool, made_at: datetime
) -> str:
    """The ``pg_dump`` line for this database, to a dated file when given a directory.

    The URL carries no password at all: a masked one would be taken as the
    password itself, while without one pg_dump reads ``PGPASSWORD`` or
    ``~/.pgpass``.
    """
    url = without_password(make_url(db.url).set(drivername="postgresql"))
    target = _target(destination, f"{url.database}-{made_at:%Y%m%dT%H%M%SZ}.dump", into_directory)
    shown = url.render_as_string(hide_password=False)
    return f"pg_dump --format=custom --file={_quote(str(target))} {_quote(shown)}"


def _quote(text: str) -> str:
    safe = all(c.isalnum() or c in "@%+=:,./-_" for c in text)
    return text if safe else "'" + text.replace("'", "'\\''") + "'"
