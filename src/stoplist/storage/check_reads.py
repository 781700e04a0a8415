"""``CheckReads``: the reads ``domain.checking`` answers ``check`` from, for each kind of database.

One statement answers both questions of a call: the active key with a
digest and its account, joined with the account's entry for a number.

- A SQLite file is read on the event loop through one query-only
  connection in autocommit mode: an indexed read of a local file costs less
  than a trip to a worker thread, and WAL readers never wait for writers.
  Answers are remembered while the file's ``data_version`` stands still
  (``CommitCountedMemo``), so a remembered answer is never staler than a
  new read.
- PostgreSQL is read without blocking the event loop: concurrent calls are
  gathered (``ReadBatcher``) into one statement per round trip on a few
  autocommit connections of psycopg's own asynchronous driver. Nothing is
  remembered: each call's answer comes from a statement that began after
  the call arrived, so every node sees each acknowledged change at once.
- Any other database (SQLite in memory, for tests) is read through the
  engine.
"""

from __future__ import annotations

import hmac
import sqlite3
import threading
from dataclasses import dataclass, replace
from typing import Any, Protocol

import psycopg
from sqlalchemy.engine import make_url

from stoplist.records.models import Account, Stop
from stoplist.storage import chain
from stoplist.storage.accounts import ACCOUNT_COLUMNS, ACCOUNT_WIDTH, account_from_row
from stoplist.storage.commit_memo import CommitCountedMemo
from stoplist.storage.database import Database, postgres_connect_args
from stoplist.storage.held_opt_outs import MarkerHeldOptOuts
from stoplist.storage.read_batches import ReadBatcher

_COLUMNS = (
    f"{ACCOUNT_COLUMNS}, k.key_hash, COALESCE(s.id, e.stop_id), "
    "COALESCE(s.created_at, e.created_at), COALESCE(s.source, e.source)"
)
_KEY = ACCOUNT_WIDTH
_READ = (
    f"SELECT {_COLUMNS} FROM api_keys k JOIN accounts a ON a.id = k.account_id "
    "LEFT JOIN stops s ON s.account_id = a.id AND s.phone_number = ? "
    "LEFT JOIN erased_numbers e ON s.id IS NULL AND e.account_id = a.id AND e.number_digest = ? "
    "AND e.lifted_at IS NULL WHERE k.key_hash = ? AND k.revoked_at IS NULL"
)
"""The key and its account, with the number's entry, or the one it keeps while erased."""
_NO_ACCOUNT = ", ".join(["NULL"] * ACCOUNT_WIDTH)
_BATCH_READ = (
    "WITH q AS MATERIALIZED ("
    "SELECT * FROM unnest(%s::text[], %s::text[], %s::bytea[]) "
    "WITH ORDINALITY AS q(digest, number, erased, i)), "
    "k AS MATERIALIZED (SELECT key_hash, account_id FROM api_keys "
    "WHERE key_hash IN (SELECT digest FROM q) AND revoked_at IS NULL) "
    f"SELECT NULL::bigint, {ACCOUNT_COLUMNS}, k.key_hash, NULL::bigint, NULL::bigint, NULL::text "
    "FROM k JOIN accounts a ON a.id = k.account_id "
    f"UNION ALL SELECT q.i, {_NO_ACCOUNT}, NULL, s.id, s.created_at, s.source "
    "FROM q JOIN k ON k.key_hash = q.digest "
    "JOIN stops s ON s.account_id = k.account_id AND s.phone_number = q.number "
    f"UNION ALL SELECT q.i, {_NO_ACCOUNT}, NULL, e.stop_id, e.created_at, e.source "
    "FROM q JOIN k ON k.key_hash = q.digest "
    "JOIN erased_numbers e ON e.account_id = k.account_id AND e.number_digest = q.erased "
    "AND e.lifted_at IS NULL "
    f"UNION ALL SELECT q.i, {_NO_ACCOUNT}, NULL, NULL::bigint, NULL::bigint, NULL::text "
    "FROM q JOIN k ON k.key_hash = q.digest "
    "JOIN held_opt_outs h ON h.account_id = k.account_id AND h.phone_number = q.number"
)
"""A batch's keys and numbers, answered in rows of two kinds (``i`` NULL or not).

One row per distinct active key asked, with its account; then one row per
request whose number is on that account's list (``i`` is the request's
place in the batch), with only the entry's columns. A batch of thirty-two
checks with one key thus comes back as one account row and a row for each
stopped number, instead of thirty-two rows that each repeat the account:
psycopg's row building was the largest cost of a check on PostgreSQL.
An erased number's entry (``storage.erasures``) is found by its digest,
until the person's opt-in lifts the erasure. A number held (``held_opt_outs``:
a STOP acknowledged, not yet written) comes as a row with no entry.
"""


@dataclass(frozen=True, slots=True)
class KeyRead:
    """What one read found for an active key: its account, and the entry of a number."""

    account: Account
    stored_digest: str
    stop: Stop | None
    """The account's entry for the number read with the key (None: not on the list)."""
    held: bool = False
    """Off the list, but with a STOP acknowledged and not yet written (``held_opt_outs``)."""


class CheckReads(Protocol):
    """Reads of the committed state, each begun after it was asked for.

    Implementations (below) may answer from memory only when
    they can prove nothing was committed since the answer was read.
    """

    async def read(self, digest: str, number: str | None) -> KeyRead | None:
        """The active key with this digest and its account's entry for ``number``.

        None when no active key has this digest. ``number`` is an E.164
        string or None (the key alone).
        """
        ...

    async def aclose(self) -> None:
        """Let go of connections (the application is stopping)."""
        ...


POSTGRES_SENDERS = 2
"""Connections each process keeps for these reads on PostgreSQL, unless told otherwise.

Two keep one statement on its way while the answer of the other is read;
more make smaller batches, each with its own round trip
(``STOPLIST_CHECK_CONNECTIONS``, docs/scaling.md).
"""


CHECK_APPLICATION_NAME = "stoplist check reads"
"""``application_name`` of the check reads' connections (unless the URL names one)."""


def check_reads_for(
    db: Database, *, connections: int = POSTGRES_SENDERS, held: MarkerHeldOptOuts | None = None
) -> CheckReads:
    """The reads suited to ``db``; ``connections``: how many PostgreSQL ones they may hold;
    ``held``: a SQLite spool's holds (PostgreSQL's are rows, read with the rest)."""
    if not db.is_sqlite:
        return PostgresCheckReads(db, senders=connections)
    path = db.engine.url.database
    if path and path != ":memory:":
        return SqliteCheckReads(db, path, held)
    return EngineCheckReads(db)


class KeyReadRows:
    """Rows of the statement to ``KeyRead``s; an account's row becomes an ``Account`` once.

    Opening the sealed inbound token costs more than the read itself, and
    the same few keys come back on every call. Keyed by the whole row, an
    ``Account`` is only reused for exactly the row it was made from.
    """

    _MAX_ACCOUNTS = 4096

    def __init__(self, db: Database) -> None:
        self._db = db
        self._accounts: dict[tuple[Any, ...], Account] = {}
        self._number_key: bytes | None = None

    def erased_digest(self, number: str | None) -> bytes | None:
        """The keyed hash an erased ``number`` is kept as (``chain.number_digest``)."""
        if number is None:
            return None
        if self._number_key is None:
            self._number_key = chain.chain_keys(self._db.engine).number
        return hmac.digest(self._number_key, number.encode(), "sha256")

    def account(self, row: tuple[Any, ...]) -> Account:
        """The ``Account`` of a row that starts with ``ACCOUNT_COLUMNS``."""
        account_row = tuple(row[:_KEY])
        account = self._accounts.get(account_row)
        if account is None:
            if len(self._accounts) >= self._MAX_ACCOUNTS:
                self._accounts.clear()
            account = self._accounts[account_row] = account_from_row(self._db.engine, row)
        return account

    def key_read(self, row: tuple[Any, ...], number: str | None) -> KeyRead:
        account = self.account(row)
        stop = None
        if row[_KEY + 1] is not None and number is not None:
            stop = Stop(row[_KEY + 1], account.id, number, row[_KEY + 2], row[_KEY + 3])
        return KeyRead(account, row[_KEY], stop)


class SqliteCheckReads:
    """Reads of a SQLite file on the calling thread, remembered until the next commit."""

    def __init__(self, db: Database, path: str, held: MarkerHeldOptOuts | None = None) -> None:
        self._path = path
        self._held = held
        self._rows = KeyReadRows(db)
        self._memo: CommitCountedMemo[KeyRead | None] = CommitCountedMemo()
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None

    async def read(self, digest: str, number: str | None) -> KeyRead | None:
        return self.read_now(digest, number)

    def read_now(self, digest: str, number: str | None) -> KeyRead | None:
        # The holds before the file (see ``HeldOptOuts.numbers``).
        holds = self._held.snapshot() if self._held is not None and number is not None else {}
        with self._lock:
            connection = self._connection or self._open()
            try:
                found = self._read(connection, digest, number)
            except sqlite3.Error:
                # A connection that met a read-only, missing or damaged file may
                # keep a stale view: the next read opens a new one.
                self._connection = None
                connection.close()
                raise
        # Holds are files, beside the database: never remembered with its answers.
        if found is None or found.stop is not None or number is None:
            return found
        if number in holds.get(found.account.id, ()):
            return replace(found, held=True)
        return found

    def _read(
        self, connection: sqlite3.Connection, digest: str, number: str | None
    ) -> KeyRead | None:
        version = connection.execute("PRAGMA data_version").fetchone()[0]
        key = (digest, number)
        found = self._memo.get(version, key)
        if found is None:
            params = (number, self._rows.erased_digest(number), digest)
            row = connection.execute(_READ, params).fetchone()
            found = None if row is None else self._rows.key_read(row, number)
            if found is not None:
                self._memo.put(version, key, found)
        return found

    def _open(self) -> sqlite3.Connection:
        connection = sqlite3.connect(
            self._path, timeout=30, isolation_level=None, check_same_thread=False
        )
        connection.execute("PRAGMA query_only=ON")
        self._connection = connection
        return connection

    async def aclose(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None


class EngineCheckReads:
    """Reads through the database's engine, one short transaction each."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._rows = KeyReadRows(db)

    async def read(self, digest: str, number: str | None) -> KeyRead | None:
        row = self._db.fetch_one(_READ, (number, self._rows.erased_digest(number), digest))
        return None if row is None else self._rows.key_read(row, number)

    async def aclose(self) -> None:
        return None


_Key = tuple[str, str | None]


class PostgresCheckReads:
    """Reads gathered into one statement per round trip, on asynchronous connections."""

    def __init__(self, db: Database, *, senders: int = POSTGRES_SENDERS) -> None:
        url = make_url(db.url)
        self._conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._connect_args = postgres_connect_args(url.query)
        self._prepare = db.prepared_statements
        if "application_name" not in url.query:
            # So that pg_stat_activity tells these connections from the main pool's.
            self._connect_args["application_name"] = CHECK_APPLICATION_NAME
        self._rows = KeyReadRows(db)
        self._batcher: ReadBatcher[psycopg.AsyncCursor[Any], _Key, KeyRead] = ReadBatcher(
            self._connect,
            self._fetch,
            _close,
            senders=senders,
            retry_on=(psycopg.OperationalError,),
        )

    async def read(self, digest: str, number: str | None) -> KeyRead | None:
        return await self._batcher.get((digest, number))

    async def aclose(self) -> None:
        await self._batcher.aclose()

    async def _connect(self) -> psycopg.AsyncCursor[Any]:
        """A connection's one cursor, kept with it: every batch runs on the same one.

        Results come in binary (integers need no parsing), and the statement
        is prepared from its first use, it is the only one this connection runs
        (unless the database's ``prepared_statements`` is off).
        """
        connection = await psycopg.AsyncConnection.connect(
            self._conninfo,
            autocommit=True,
            prepare_threshold=0 if self._prepare else None,
            **self._connect_args,
        )
        return connection.cursor(binary=True)

    async def _fetch(
        self, cursor: psycopg.AsyncCursor[Any], keys: list[_Key]
    ) -> dict[_Key, KeyRead]:
        digests = [digest for digest, _ in keys]
        numbers = [number for _, number in keys]
        erased = [self._rows.erased_digest(number) for number in numbers]
        await cursor.execute(_BATCH_READ, (digests, numbers, erased))
        accounts: dict[str, tuple[Account, str]] = {}
        entries: dict[int, tuple[Any, ...]] = {}
        for row in await cursor.fetchall():
            if row[0] is None:
                accounts[row[_KEY + 1]] = (self._rows.account(row[1:]), row[_KEY + 1])
            elif row[_KEY + 2] is not None or row[0] - 1 not in entries:
                entries[row[0] - 1] = row  # an entry rather than a hold
        found: dict[_Key, KeyRead] = {}
        for place, key in enumerate(keys):
            digest, number = key
            active = accounts.get(digest)
            if active is None:
                continue  # no active key with this digest
            account, stored_digest = active
            entry = entries.get(place)
            stop = None
            if entry is not None and number is not None and entry[_KEY + 2] is not None:
                stop = Stop(entry[_KEY + 2], account.id, number, entry[_KEY + 3], entry[_KEY + 4])
            held = entry is not None and number is not None and stop is None
            found[key] = KeyRead(account, stored_digest, stop, held)
        return found


async def _close(cursor: psycopg.AsyncCursor[Any]) -> None:
    await cursor.connection.close()
