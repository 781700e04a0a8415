"""Opt-outs acknowledged but not yet written, which ``check`` and ``filter`` count as stopped.

An inbound STOP that arrives while an import holds its account's list is kept
in the receiving node's spool (``domain.inbound_spool``) and answered
``spooled``: acknowledged to the provider, written once the list is free,
seconds or a minute later. Until then it is *held* here, where the readers of
the list look, so that no node answers "allowed" for a number whose STOP it
has acknowledged:

- PostgreSQL: a row of ``held_opt_outs``, inserted in a transaction of its
  own. The import's lock on the account's row does not hold it up (the row
  only takes a key share of the account), so every node's next ``check``
  sees it. It is deleted in the transaction that records the message.
- SQLite: one machine, whose workers share the spool directory, and one
  writer lock, which the import holds: a marker file in the spool's
  ``held/`` directory, named after the account, the number and the spool
  record, removed once the message is recorded.

A hold whose record is gone (recorded by a process that died before letting
go of the hold) is dropped by ``tidy``; one whose record was set aside stays,
so the number stays stopped until an operator looks.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
import time
from collections.abc import Collection
from pathlib import Path
from typing import Protocol

from sqlalchemy import Connection, delete, insert, select

from stoplist.storage import owner_only
from stoplist.storage.database import Database
from stoplist.storage.schema import held_opt_outs
from stoplist.storage.spool import sync_directory, write_synced

_SETTLED_SECONDS = 60
"""A hold younger than this is never tidied away: its record may still be on its way."""
_CLOCK_TICK_NS = 100_000_000
"""Well over the coarse clock's tick (1 to 10 ms) that stamps a directory's changes."""


class HeldOptOuts(Protocol):
    """Where acknowledged, unwritten opt-outs are kept until their message is recorded."""

    def hold(self, account_id: int, number: str, name: str) -> None:
        """Hold ``number`` for the spool record ``name`` (before the provider is answered)."""
        ...

    def release_in(self, conn: Connection, name: str) -> None:
        """Let go of the hold of ``name`` in the transaction that records its message."""
        ...

    def released(self, name: str) -> None:
        """Let go of the hold of ``name`` once its message is committed, or was never kept."""
        ...

    def numbers(self, account_id: int) -> set[str]:
        """The numbers held for the account.

        Read them before the list: a hold goes in the transaction that writes
        its STOP (SQLite: just after), so a STOP let go of after this read is
        on a list read after it; read the other way round, it could be in
        neither.
        """
        ...

    def tidy(self, waiting: Collection[str]) -> None:
        """Drop this node's holds whose record is no longer ``waiting`` (nor set aside)."""
        ...


class TableHeldOptOuts:
    """Holds as rows of ``held_opt_outs`` (PostgreSQL), tagged with the node that made them."""

    def __init__(self, db: Database, spool_directory: Path | None) -> None:
        self._db = db
        self.node = "" if spool_directory is None else node_of(spool_directory)

    def hold(self, account_id: int, number: str, name: str) -> None:
        row = {
            "spool_name": name,
            "account_id": account_id,
            "phone_number": number,
            "node": self.node,
            "held_at": time.time_ns() // 1000,
        }
        with self._db.engine.begin() as conn:
            conn.execute(insert(held_opt_outs).values(**row))

    def release_in(self, conn: Connection, name: str) -> None:
        conn.execute(delete(held_opt_outs).where(held_opt_outs.c.spool_name == name))

    def released(self, name: str) -> None:
        # Gone already when ``release_in`` ran; not when the record could not be put.
        with self._db.engine.begin() as conn:
            self.release_in(conn, name)

    def numbers(self, account_id: int) -> set[str]:
        with self._db.read() as conn:
            rows = conn.execute(
                select(held_opt_outs.c.phone_number).where(held_opt_outs.c.account_id == account_id)
            )
            return {row[0] for row in rows}

    def tidy(self, waiting: Collection[str]) -> None:
        settled = time.time_ns() // 1000 - _SETTLED_SECONDS * 1_000_000
        with self._db.engine.begin() as conn:
            rows = conn.execute(
                select(held_opt_outs.c.spool_name).where(
                    held_opt_outs.c.node == self.node, held_opt_outs.c.held_at < settled
                )
            )
            gone = [name for (name,) in rows if name not in waiting]
            if gone:
                conn.execute(delete(held_opt_outs).where(held_opt_outs.c.spool_name.in_(gone)))


class MarkerHeldOptOuts:
    """Holds as empty files in ``<spool>/held/`` (SQLite), read again only when it changes."""

    def __init__(self, spool_directory: Path) -> None:
        self.directory = spool_directory / "held"
        self._seen: tuple[int, int] | None = None
        self._held: dict[int, set[str]] = {}

    def hold(self, account_id: int, number: str, name: str) -> None:
        owner_only.make_directory(self.directory)
        write_synced(self.directory / _marker(account_id, number, name), b"")
        sync_directory(self.directory)

    def release_in(self, conn: Connection, name: str) -> None:
        return None  # a file is not in the transaction: ``released`` follows the commit

    def released(self, name: str) -> None:
        for marker in self._markers_of({name}):
            marker.unlink(missing_ok=True)

    def numbers(self, account_id: int) -> set[str]:
        return set(self._current().get(account_id, ()))

    def snapshot(self) -> dict[int, set[str]]:
        """Every account's held numbers, now: one ``stat`` when nothing changed since the
        last look. To be taken before the list is read (see ``TableHeldOptOuts.numbers``)."""
        return self._current()

    def tidy(self, waiting: Collection[str]) -> None:
        settled = time.time() - _SETTLED_SECONDS
        for entry in self._entries():
            name = entry.name.split("_", 2)[-1]
            if name not in waiting:
                with contextlib.suppress(FileNotFoundError):
                    if entry.stat().st_mtime < settled:
                        os.unlink(entry.path)

    def _current(self) -> dict[int, set[str]]:
        try:
            status = os.stat(self.directory)
        except OSError:  # none yet (or no spool to hold in): nothing held
            return {}
        seen = (status.st_mtime_ns, status.st_ino)
        if seen != self._seen:
            held: dict[int, set[str]] = {}
            for entry in self._entries():
                account, number, _ = entry.name.split("_", 2)
                held.setdefault(int(account), set()).add(number)
            # A directory's time has the kernel's coarse clock: a marker made within the
            # same tick as this reading would not change it. So a time that recent is not
            # taken as a mark of what was read, and the next look reads the directory again.
            settled = time.time_ns() - status.st_mtime_ns > _CLOCK_TICK_NS
            self._held, self._seen = held, seen if settled else None
        return self._held

    def _entries(self) -> list[os.DirEntry[str]]:
        try:
            with os.scandir(self.directory) as entries:
                return [entry for entry in entries if entry.name.count("_") >= 2]
        except OSError:
            return []

    def _markers_of(self, names: set[str]) -> list[Path]:
        return [
            Path(entry.path) for entry in self._entries() if entry.name.split("_", 2)[-1] in names
        ]


def held_opt_outs_for(db: Database, spool_directory: Path) -> TableHeldOptOuts | MarkerHeldOptOuts:
    """The holds that suit ``db``, for the spool in ``spool_directory``."""
    if db.is_sqlite:
        return MarkerHeldOptOuts(spool_directory)
    return TableHeldOptOuts(db, spool_directory)


def held_opt_outs_reader(db: Database) -> TableHeldOptOuts | None:
    """The holds a process without a spool reads: on PostgreSQL, the other nodes' rows."""
    return None if db.is_sqlite else TableHeldOptOuts(db, None)


def node_of(spool_directory: Path) -> str:
    """A name for the node that owns ``spool_directory``, the same after a restart."""
    where = f"{socket.gethostname()}:{spool_directory.resolve()}"
    return hashlib.sha256(where.encode()).hexdigest()[:32]


def _marker(account_id: int, number: str, name: str) -> str:
    return f"{account_id}_{number}_{name}"
