"""Set-at-a-time SQL for filtering and importing many numbers at once.

A batch of numbers travels as one parameter: a JSON array read by SQLite's
``json_each`` or a ``text[]`` read by PostgreSQL's ``unnest``. Either way the
database sees one statement per batch, whatever its size, with no limit on
bound variables and no per-row round trip. The SQL is written for the DB-API
driver directly because these statements run millions of times per import
and SQLAlchemy's per-row parameter handling would dominate.

An import first stages the file's numbers, a batch at a time, in a
temporary table keyed by number (``stage``), which locks nothing, then
writes them in number order under the lock (``insert_staged_opt_outs``),
so that the rows reach every index in one pass while the process holds one
batch: SQLite with one statement per block of events and one for all the
stops, PostgreSQL with one statement per block for both. Each block's chain
links are hashed on a second thread while the database writes the block
before it: both drivers let go of the GIL for a statement's whole run.

The module is longer than most because that write path is one piece on
both databases: staging, the look-ups, the chained events and the stops.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import orjson
from sqlalchemy import Connection

from stoplist.records.events import EventKind
from stoplist.storage import chain
from stoplist.storage.driver_sql import driver_sql
from stoplist.storage.stops import touch_list


def _probe(
    conn: Connection, table: str, columns: str, numbers: Sequence[str], where: str = "TRUE"
) -> tuple[str, Any]:
    """Rows of ``table`` (alias ``x``) for one account whose number is one of ``numbers``.

    Both forms make the planner probe the ``(account_id, phone_number)``
    index once per number whatever its statistics say: SQLite reads ``IN``
    over ``json_each`` that way, and on PostgreSQL a ``LATERAL`` subquery
    with a ``LIMIT`` cannot be flattened into a join, so it stays a nested
    loop of index probes. (A plain join or ``= ANY`` turns into a scan of the
    whole account on a freshly loaded table whose statistics are stale.)
    ``where`` names bare columns and marks its parameters with ``?``; at
    most one row per number comes back.
    """
    if conn.dialect.name == "sqlite":
        sql = (
            f"SELECT {columns} FROM {table} x WHERE x.account_id = ? "
            f"AND x.phone_number IN (SELECT value FROM json_each(?)) AND {where}"
        )
        return sql, orjson.dumps(list(numbers)).decode()
    sql = (
        f"SELECT {columns} FROM unnest(?::text[]) AS t(value) CROSS JOIN LATERAL "
        f"(SELECT * FROM {table} WHERE account_id = ? AND phone_number = t.value "
        f"AND {where} LIMIT 1) x"
    )
    return driver_sql(conn, sql), list(numbers)


def _params(conn: Connection, account_id: int, numbers: Any, *rest: Any) -> tuple[Any, ...]:
    if conn.dialect.name == "sqlite":
        return (account_id, numbers, *rest)
    return (numbers, account_id, *rest)


def find_stops(conn: Connection, account_id: int, numbers: Sequence[str]) -> dict[str, int]:
    """``{number: stop id}`` for those of ``numbers`` on the account's list."""
    if not numbers:
        return {}
    sql, param = _probe(conn, "stops", "x.phone_number, x.id", numbers)
    rows = conn.exec_driver_sql(sql, _params(conn, account_id, param))
    return dict(rows.fetchall())


def max_event_id(conn: Connection) -> int:
    return int(conn.exec_driver_sql("SELECT COALESCE(MAX(id), 0) FROM events").scalar_one())


def account_has_history(conn: Connection, account_id: int) -> bool:
    """Whether the account has any event or any stop at all (two index probes)."""
    row = conn.exec_driver_sql(
        driver_sql(
            conn,
            "SELECT EXISTS (SELECT 1 FROM events WHERE account_id = ?) "
            "OR EXISTS (SELECT 1 FROM stops WHERE account_id = ?)",
        ),
        (account_id, account_id),
    ).scalar_one()
    return bool(row)


def opt_out_fields(account_id: int, *, source: str, actor: str | None, at: int) -> bytes:
    """The chain's digest of what an import's opt-outs share (all but the number)."""
    return chain.fields_digest(
        account_id,
        kind=EventKind.OPT_OUT.value,
        source=source,
        event_at=at,
        received_at=at,
        provider=None,
        provider_message_id=None,
        actor=actor,
        reason=None,
        details=None,
        provider_time_raw=None,
    )


def stage(conn: Connection, numbers: Sequence[str]) -> int:
    """Put ``numbers`` in this transaction's staging table; returns how many were new.

    The table is temporary and keyed by number, so repeats fall away as they
    come and a scan of it yields the file's numbers sorted, however many
    batches brought them, while the process holds only one batch. Staging
    locks nothing: other writers go on meanwhile.
    """
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(
            "CREATE TEMP TABLE IF NOT EXISTS staged_numbers (value TEXT PRIMARY KEY) WITHOUT ROWID"
        )
        result = conn.exec_driver_sql(
            "INSERT OR IGNORE INTO temp.staged_numbers SELECT value FROM json_each(?)",
            (orjson.dumps(list(numbers)).decode(),),
        )
        return result.rowcount
    conn.exec_driver_sql(
        # Dropped at the commit: one transaction both stages and writes, so
        # a pooler in transaction mode cannot hand the writing to another session.
        "CREATE TEMP TABLE IF NOT EXISTS staged_numbers (value text PRIMARY KEY) ON COMMIT DROP"
    )
    result = conn.exec_driver_sql(
        "INSERT INTO pg_temp.staged_numbers SELECT unnest(%s::text[]) ON CONFLICT DO NOTHING",
        (list(numbers),),
    )
    return result.rowcount


def _staged_table(conn: Connection) -> str:
    return "temp.staged_numbers" if conn.dialect.name == "sqlite" else "pg_temp.staged_numbers"


def staged_blocks(conn: Connection) -> Iterator[list[str]]:
    """The staged numbers in order, ``CHAIN_BLOCK`` at a time."""
    sql = driver_sql(
        conn,
        f"SELECT value FROM {_staged_table(conn)} WHERE value > ? ORDER BY value "
        f"LIMIT {CHAIN_BLOCK}",
    )
    after = ""
    while block := [str(row[0]) for row in conn.exec_driver_sql(sql, (after,))]:
        yield block
        after = block[-1]


def unstage(conn: Connection, numbers: Sequence[str]) -> None:
    """Take ``numbers`` out of the staging table."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(
            "DELETE FROM temp.staged_numbers WHERE value IN (SELECT value FROM json_each(?))",
            (orjson.dumps(list(numbers)).decode(),),
        )
    else:
        conn.exec_driver_sql(
            "DELETE FROM pg_temp.staged_numbers WHERE value = ANY(%s::text[])", (list(numbers),)
        )


_OPT_OUT = EventKind.OPT_OUT.value
_DECIDED_KINDS = (_OPT_OUT, EventKind.OPT_IN.value)
CHAIN_BLOCK = 10_000
# SQLite probes the indexes once per staged number for an EXISTS. PostgreSQL
# would turn one into a join, which on a freshly loaded table with stale
# statistics scans the whole account: a LATERAL subquery with a LIMIT stays a
# loop of index probes (see ``_probe``).
_SQLITE_STOPPED = (
    "EXISTS (SELECT 1 FROM stops s WHERE s.account_id = :account AND s.phone_number = t.value)"
)
_SQLITE_DECIDED = (
    "EXISTS (SELECT 1 FROM events e WHERE e.account_id = :account AND e.phone_number = t.value "
    "AND e.kind IN (:opt_out, :opt_in))"
)
_POSTGRES_PROBES = (
    " LEFT JOIN LATERAL (SELECT 1 AS found FROM stops WHERE account_id = %(account)s "
    "AND phone_number = t.value LIMIT 1) s ON TRUE"
    " LEFT JOIN LATERAL (SELECT 1 AS found FROM events WHERE account_id = %(account)s "
    "AND phone_number = t.value AND kind IN (%(opt_out)s, %(opt_in)s) LIMIT 1) e ON TRUE"
)


def probe_params(account_id: int) -> dict[str, object]:
    return {"account": account_id, "opt_out": _DECIDED_KINDS[0], "opt_in": _DECIDED_KINDS[1]}


def staged_outcomes(conn: Connection, account_id: int) -> tuple[int, int]:
    """``(already on the list, opted in)`` among the staged numbers."""
    if conn.dialect.name == "sqlite":
        sql = (
            f"SELECT COALESCE(SUM({_SQLITE_STOPPED}), 0), "
            f"COALESCE(SUM(NOT {_SQLITE_STOPPED} AND {_SQLITE_DECIDED}), 0) "
            "FROM temp.staged_numbers t"
        )
    else:
        sql = (
            "SELECT COUNT(s.found), COUNT(e.found) FILTER (WHERE s.found IS NULL) "
            f"FROM pg_temp.staged_numbers t{_POSTGRES_PROBES}"
        )
    row = conn.exec_driver_sql(sql, probe_params(account_id)).one()
    return int(row[0]), int(row[1])


def insert_staged_opt_outs(
    conn: Connection,
    account_id: int,
    *,
    source: str,
    actor: str | None,
    at: int,
    look_up: bool,
    returning: bool,
) -> tuple[int, list[tuple[int, str, int]]]:
    """Record an opt-out for each staged number never opted out or in, and stop it.

    Returns how many were added and, with ``returning``, ``(event id,
    number, stop id)`` for each, sorted by event id. The staged numbers come
    out of their table in order, a block at a time, chained in Python, so
    every index takes its rows in one pass. ``look_up=False`` skips the
    look-ups when the account is known to have no event at all. The caller
    holds the writer lock (SQLite) or the account's list (PostgreSQL). The
    staging table is dropped.
    """
    head = chain.take_head(conn, account_id)
    keys = chain.chain_keys(conn)
    fields = opt_out_fields(account_id, source=source, actor=actor, at=at)
    writer: _SqliteStagedWriter | _PostgresStagedWriter
    if conn.dialect.name == "sqlite":
        writer = _SqliteStagedWriter(conn, account_id, look_up=look_up)
    else:
        writer = _PostgresStagedWriter(conn, account_id, look_up=look_up, returning=returning)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-chain") as hasher:
        rows = writer.block("")
        chained = hasher.submit(chain.chain_numbers, keys, head, rows, fields) if rows else None
        while chained is not None:
            first = head.length
            links, head = chained.result()
            following = writer.block(rows[-1])
            chained = (
                hasher.submit(chain.chain_numbers, keys, head, following, fields)
                if following
                else None
            )
            # The driver lets go of the GIL while the database writes this block,
            # so the next one is hashed meanwhile.
            writer.insert(rows, links, first, source=source, actor=actor, at=at)
            rows = following
    chain.set_head(conn, account_id, head)
    added, written = writer.insert_stops(returning=returning)
    if added:
        touch_list(conn, account_id)
    return added, written


def insert_opt_out_events(
    conn: Connection,
    account_id: int,
    block: list[str],
    links: bytes,
    first: int,
    *,
    source: str,
    actor: str | None,
    at: int,
) -> None:
    """Insert the opt-out events of ``block``, as ``chain.chain_numbers`` chained them."""
    values = (EventKind.OPT_OUT.value, source, at, actor, first, links)
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(
            # j.key counts from 0: the links of the number at j.key start at byte j.key * 96.
            "INSERT INTO events (account_id, phone_number, kind, source, event_at, received_at, "
            "actor, chain_seq, prev_hash, hash, number_digest) "
            f"SELECT {int(account_id)}, j.value, ?1, ?2, ?3, ?3, ?4, ?5 + j.key + 1, "
            "substr(?6, j.key * 96 + 1, 32), substr(?6, j.key * 96 + 33, 32), "
            "substr(?6, j.key * 96 + 65, 32) FROM json_each(?7) j ORDER BY j.key",
            (*values, orjson.dumps(block).decode()),
        )
        return
    conn.exec_driver_sql(
        # t.key counts from 1: the links of the number at t.key start at byte (t.key - 1) * 96.
        "INSERT INTO events (account_id, phone_number, kind, source, event_at, received_at, "
        "actor, chain_seq, prev_hash, hash, number_digest) "
        "SELECT %(account)s, t.value, %(kind)s, %(source)s, %(at)s, %(at)s, %(actor)s, "
        "%(first)s + t.key, substring(%(links)s FROM ((t.key - 1) * 96 + 1)::int FOR 32), "
        "substring(%(links)s FROM ((t.key - 1) * 96 + 33)::int FOR 32), "
        "substring(%(links)s FROM ((t.key - 1) * 96 + 65)::int FOR 32) "
        "FROM unnest(%(block)s::text[]) WITH ORDINALITY AS t(value, key) ORDER BY t.key",
        {
            "account": account_id,
            "kind": EventKind.OPT_OUT.value,
            "source": source,
            "at": at,
            "actor": actor,
            "first": first,
            "links": links,
            "block": block,
        },
    )


class _SqliteStagedWriter:
    """The SQL of ``insert_staged_opt_outs`` on SQLite: events block by block, then stops."""

    def __init__(self, conn: Connection, account_id: int, *, look_up: bool) -> None:
        self._conn = conn
        self._account_id = account_id
        # Under SQLite's single writer (this transaction began IMMEDIATE), every
        # event after the highest id seen before inserting is one inserted here,
        # so the new stops come from a range scan of the primary key.
        self._floor = max_event_id(conn)
        where = f" AND NOT {_SQLITE_STOPPED} AND NOT {_SQLITE_DECIDED}" if look_up else ""
        self._block_sql = (
            f"SELECT t.value FROM temp.staged_numbers t WHERE t.value > :after{where} "
            f"ORDER BY t.value LIMIT {CHAIN_BLOCK}"
        )
        self._params = probe_params(account_id)
        driver = conn.connection.driver_connection
        assert driver is not None
        self._driver = driver

    def block(self, after: str) -> list[str]:
        # Straight from the driver: a million numbers through result rows cost a second.
        rows = self._driver.execute(self._block_sql, {**self._params, "after": after})
        return [row[0] for row in rows]

    def insert(
        self, block: list[str], links: bytes, first: int, *, source: str, actor: str | None, at: int
    ) -> None:
        insert_opt_out_events(
            self._conn, self._account_id, block, links, first, source=source, actor=actor, at=at
        )

    def insert_stops(self, *, returning: bool) -> tuple[int, list[tuple[int, str, int]]]:
        result = self._conn.exec_driver_sql(
            "INSERT INTO stops (account_id, phone_number, created_at, source, event_id) "
            "SELECT e.account_id, e.phone_number, e.event_at, e.source, e.id FROM events e "
            # The unary + keeps SQLite on the primary key: through the account's
            # index this would read every event of the account.
            "WHERE e.id > ? AND +e.account_id = ? AND +e.kind = ? ORDER BY e.id"
            + (" RETURNING event_id, phone_number, id" if returning else ""),
            (self._floor, self._account_id, EventKind.OPT_OUT.value),
        )
        rows = sorted(tuple(row) for row in result) if returning else []
        added = len(rows) if returning else result.rowcount
        self._conn.exec_driver_sql("DROP TABLE temp.staged_numbers")
        return added, rows


class _PostgresStagedWriter:
    """The SQL of ``insert_staged_opt_outs`` on PostgreSQL: events and stops block by block.

    Other accounts' writers insert events meanwhile, so the new stops come
    from the events' ``RETURNING``, in the same statement.
    """

    def __init__(
        self, conn: Connection, account_id: int, *, look_up: bool, returning: bool
    ) -> None:
        self._conn = conn
        self._account_id = account_id
        # Reading a million rows back costs more than writing them when no
        # one, such as a webhook, needs them.
        self._returning = returning
        # The staging table has no statistics yet: without them the planner
        # would sort the whole table again for every block.
        conn.exec_driver_sql("ANALYZE pg_temp.staged_numbers")
        probes, where = (_POSTGRES_PROBES, " AND s.found IS NULL AND e.found IS NULL")
        if not look_up:
            probes, where = "", ""
        self._block_sql = (
            f"SELECT t.value FROM pg_temp.staged_numbers t{probes} "
            f"WHERE t.value > %(after)s{where} ORDER BY t.value LIMIT {CHAIN_BLOCK}"
        )
        self._params = probe_params(account_id)
        self._added = 0
        self._rows: list[tuple[int, str, int]] = []

    def block(self, after: str) -> list[str]:
        rows = self._conn.exec_driver_sql(self._block_sql, {**self._params, "after": after})
        return [str(row[0]) for row in rows]

    def insert(
        self, block: list[str], links: bytes, first: int, *, source: str, actor: str | None, at: int
    ) -> None:
        values = (links, self._account_id, EventKind.OPT_OUT.value, source, at, at, actor, first)
        rows = self._conn.exec_driver_sql(
            # t.key counts from 1: the links of the number at t.key start at byte (t.key - 1) * 96.
            "WITH b AS (SELECT %s::bytea AS links), "
            "ev AS (INSERT INTO events (account_id, phone_number, kind, source, event_at, "
            "received_at, actor, chain_seq, prev_hash, hash, number_digest) "
            "SELECT %s, t.value, %s, %s, %s, %s, %s, %s + t.key, "
            "substring(b.links FROM ((t.key - 1) * 96 + 1)::int FOR 32), "
            "substring(b.links FROM ((t.key - 1) * 96 + 33)::int FOR 32), "
            "substring(b.links FROM ((t.key - 1) * 96 + 65)::int FOR 32) "
            "FROM b, unnest(%s::text[]) WITH ORDINALITY AS t(value, key) ORDER BY t.key "
            "RETURNING id, account_id, phone_number, event_at, source) "
            "INSERT INTO stops (account_id, phone_number, created_at, source, event_id) "
            "SELECT account_id, phone_number, event_at, source, id FROM ev ORDER BY id"
            + (" RETURNING event_id, phone_number, id" if self._returning else ""),
            (*values, block),
        )
        self._added += len(block)
        if self._returning:
            self._rows.extend(tuple(row) for row in rows)

    def insert_stops(self, *, returning: bool) -> tuple[int, list[tuple[int, str, int]]]:
        self._conn.exec_driver_sql("DROP TABLE pg_temp.staged_numbers")
        return self._added, sorted(self._rows)
