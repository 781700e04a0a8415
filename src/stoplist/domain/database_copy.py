"""Moving an installation to another database (``stoplist copy-database``).

A team that outgrows one machine moves its SQLite file to PostgreSQL; one
that shrinks goes the other way. Everything moves: accounts, keys, stops,
every event with its place in the hash chain, webhooks, keywords,
settings. The copy is refused rather than made incomplete:

- while the source's inbound spool holds STOPs not yet written (they would
  be written into the source after the copy, and be missing from it), or
  while a PostgreSQL source holds STOPs for another node's spool;
- into a destination that already holds stoplist data, another
  application's tables, or that is one of PostgreSQL's own databases;
- when the destination's secrets key file holds another key than the
  source's (every secret and keyed hash in the copy needs the source's).

The source is held still while it is read (``storage.database_copy``), the
destination is written in one transaction whose row counts are compared
with the source's before it commits, and every account's hash chain is
then verified on the copy, with the key its servers will use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from stoplist.database_url import check_url, normalise_url
from stoplist.domain.accounts import Accounts
from stoplist.domain.audit import AccountAudit, verify
from stoplist.storage import database_copy, secrets
from stoplist.storage.database import HEAD_REVISION, Database
from stoplist.storage.database_copy import CopiedTable, DestinationNotEmpty
from stoplist.storage.diagnose import sqlite_path
from stoplist.storage.schema import held_opt_outs, metadata
from stoplist.storage.spool import Spool

__all__ = [
    "CopiedDatabase",
    "DestinationExists",
    "DestinationHasOtherTables",
    "DestinationNotEmpty",
    "DestinationUnreachable",
    "HeldElsewhere",
    "MaintenanceDatabase",
    "Progress",
    "SameDatabase",
    "SpoolNotEmpty",
    "copy_database",
]


Progress = Callable[[str, int], None]
"""Told a table's name and how many of its rows are copied so far."""


class SameDatabase(Exception):
    """The destination is the source."""


class DestinationExists(Exception):
    """A SQLite destination must be a new file: an existing one is never written over."""


class DestinationHasOtherTables(Exception):
    """The destination PostgreSQL database holds tables that are not stoplist's."""

    def __init__(self, tables: list[str]) -> None:
        super().__init__(", ".join(tables))
        self.tables = tables


class DestinationUnreachable(Exception):
    """The destination could not be opened (``error`` says why)."""

    def __init__(self, error: DBAPIError) -> None:
        super().__init__(str(error))
        self.error = error


class MaintenanceDatabase(Exception):
    """The destination is one of PostgreSQL's own databases (``postgres``, the templates)."""


class SpoolNotEmpty(Exception):
    """Inbound messages wait in the source's spool, to be written into the source."""

    def __init__(self, directory: Path, count: int) -> None:
        super().__init__(f"{count} message(s) in {directory}")
        self.directory = directory
        self.count = count


class HeldElsewhere(Exception):
    """A PostgreSQL source holds STOPs that wait in some node's spool."""

    def __init__(self, count: int) -> None:
        super().__init__(f"{count} held STOP(s)")
        self.count = count


class CopyIncomplete(RuntimeError):
    """The destination's row counts differ from the source's: nothing was committed."""


@dataclass(frozen=True, slots=True)
class CopiedDatabase:
    tables: list[CopiedTable]
    audits: list[AccountAudit]
    key_file: Path | None
    key_written: bool


def copy_database(
    source: Database,
    destination_url: str,
    *,
    spool: Path | None,
    key_file: Path | None,
    progress: Progress | None = None,
) -> CopiedDatabase:
    """Copy ``source`` into the new or empty database at ``destination_url``.

    ``spool`` is the source's inbound spool directory (None: it has none);
    ``key_file`` the secrets key file the destination's servers are given
    (None: the default place for that database, where the source's key is
    written if there is none yet). Raises the exceptions of this module,
    ``DestinationNotEmpty`` and ``secrets.SecretsKeyError``.
    """
    destination_url = normalise_url(destination_url)
    check_url(destination_url)
    if destination_url == source.url:
        raise SameDatabase(destination_url)
    new_file = _new_sqlite_file(destination_url)
    if new_file is not None and new_file == _sqlite_file(source.url):
        raise SameDatabase(destination_url)
    _check_spool(spool)
    destination = Database(destination_url, pool_size=1, secrets_key_file=key_file)
    target_key = secrets.key_path(destination.engine)
    key_written = False
    try:
        try:
            revision = _revision(destination)
        except DBAPIError as error:
            raise DestinationUnreachable(error) from None
        _refuse_other_tables(destination)
        if revision is not None and revision != HEAD_REVISION:
            _refuse_accounts(destination)  # before any migration touches it
        if target_key is not None:
            # Before the migrations: they seal settings with the key they find.
            key_written = secrets.copy_key(source.engine, target_key)
        if revision != HEAD_REVISION:
            from stoplist.storage.migrate import upgrade

            upgrade(destination)
        tables = _copy(source, destination, spool, progress)
        audits = [verify(destination, account) for account in Accounts(destination).list()]
    except BaseException:
        destination.dispose()
        if new_file is not None:
            _remove_sqlite_file(new_file)
        if key_written and target_key is not None:
            target_key.unlink(missing_ok=True)
        raise
    destination.dispose()
    return CopiedDatabase(tables, audits, target_key, key_written)


def _copy(
    source: Database,
    destination: Database,
    spool: Path | None,
    progress: Progress | None,
) -> list[CopiedTable]:
    with source.write() as reading:
        database_copy.hold_still(reading)
        held = reading.execute(select(func.count()).select_from(held_opt_outs)).scalar_one()
        if held:
            raise HeldElsewhere(int(held))
        with destination.write() as writing:
            occupied = database_copy.tables_with_data(writing)
            if occupied:
                raise DestinationNotEmpty(occupied)
            tables = database_copy.copy_rows(reading, writing, progress)
            expected = database_copy.row_counts(reading)
            if database_copy.row_counts(writing) != expected:
                raise CopyIncomplete(f"row counts differ from the source's {expected}")
            # A server still running may have spooled a STOP while its list
            # was held: it would be written into the source only.
            _check_spool(spool)
    return tables


def _check_spool(spool: Path | None) -> None:
    if spool is None or not spool.is_dir():
        return
    waiting = len(Spool(spool))
    if waiting:
        raise SpoolNotEmpty(spool, waiting)


_MAINTENANCE_DATABASES = frozenset({"postgres", "template0", "template1"})


def _refuse_other_tables(destination: Database) -> None:
    if destination.is_sqlite:
        return
    name = destination.engine.url.database or ""
    if name in _MAINTENANCE_DATABASES:
        raise MaintenanceDatabase(name)
    ours = {table.name for table in metadata.sorted_tables} | {"alembic_version"}
    with destination.read() as conn:
        names = [
            str(name)
            for (name,) in conn.exec_driver_sql(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            )
        ]
    others = sorted(set(names) - ours)
    if others:
        raise DestinationHasOtherTables(others)


def _refuse_accounts(destination: Database) -> None:
    """Refuse a destination of an older schema that already has accounts, as it is."""
    with destination.read() as conn:
        if conn.exec_driver_sql("SELECT 1 FROM accounts LIMIT 1").first() is not None:
            raise DestinationNotEmpty(["accounts"])


def _revision(db: Database) -> str | None:
    from stoplist.storage.migrate import current_revision

    return current_revision(db)


def _sqlite_file(url: str) -> Path | None:
    path = sqlite_path(url)
    return None if path is None else path.resolve()


def _new_sqlite_file(url: str) -> Path | None:
    """The destination's SQLite file, which must not exist yet (None on PostgreSQL).

    ``check_url`` has refused a database in memory already.
    """
    path = _sqlite_file(url)
    if path is None:
        return None
    if path.exists():
        raise DestinationExists(str(path))
    if not path.parent.is_dir():
        raise FileNotFoundError(str(path.parent))
    return path


def _remove_sqlite_file(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal", ".migrate-lock"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
