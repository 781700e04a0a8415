"""Applying migrations on first use, once, even when many processes start together."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

_MIGRATIONS = Path(__file__).parent / "migrations"
_PG_MIGRATION_LOCK = 0x5370_4C69_7374  # any constant shared by every stoplist process


class Migratable(Protocol):
    """What migrating needs of a database: its engine, and whether it is SQLite.

    ``storage.database.Database`` is one. Naming the shape here instead of
    importing ``Database`` keeps the dependency one way: ``database`` loads
    this module (lazily, only when the schema is behind), never the reverse.
    """

    @property
    def engine(self) -> Engine: ...

    @property
    def is_sqlite(self) -> bool: ...


def alembic_config(db: Migratable) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["database"] = db
    return config


class SchemaTooNew(RuntimeError):
    """The database was migrated by a newer stoplist than this one.

    This version cannot know what the newer migrations changed, so it does
    not touch the database: roll back by restoring the backup taken before
    the upgrade (docs/deploy.md), or install the newer version again.
    """

    def __init__(self, revision: str, head: str | None) -> None:
        super().__init__(
            f"the database is at schema revision {revision}, newer than this stoplist "
            f"knows (up to {head}): it was upgraded by a newer version"
        )
        self.revision = revision
        self.head = head


def upgrade(db: Migratable) -> None:
    """Bring the schema to the newest revision, skipping work when already there."""
    config = alembic_config(db)
    scripts = ScriptDirectory.from_config(config)
    head = scripts.get_current_head()
    current = current_revision(db)
    if current == head:
        return
    if current is not None and current not in {
        script.revision for script in scripts.walk_revisions()
    }:
        raise SchemaTooNew(current, head)
    with _migration_lock(db):
        if current_revision(db) != head:
            command.upgrade(config, "head")


def current_revision(db: Migratable) -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@contextmanager
def _migration_lock(db: Migratable) -> Iterator[None]:
    if db.is_sqlite:
        path = db.engine.url.database
        if not path or path == ":memory:":
            yield
            return
        with _file_lock(Path(f"{path}.migrate-lock")):
            yield
        return
    with db.engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _PG_MIGRATION_LOCK})
            conn.commit()


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path``, which exists only while it is held.

    The holder removes the file before letting go. A process that was
    waiting on the removed file then holds a lock nobody else can see, so it
    checks that the path still names the file it locked, and starts over
    with the new one if not.
    """
    while True:
        handle = path.open("a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                same = os.fstat(handle.fileno()).st_ino == path.stat().st_ino
            except FileNotFoundError:
                same = False
            if not same:
                continue
            try:
                yield
            finally:
                path.unlink(missing_ok=True)
            return
        finally:
            handle.close()
