"""Set-at-a-time SQL for filtering and importing many numbers at once.

A batch of numbers travels as one parameter: a JSON array read by SQLite's
``json_each`` or a ``text[]`` read by PostgreSQL's ``unnest``. Either way the
database sees one statement per batch, whatever its size, with no limit on
bound variables and no per-row round trip. The SQL is written for the DB-API
driver directly because these statements run millions of times per import
and SQLAlchemy's per-row parameter handling would dominate.

An import on SQLite first stages the file's numbers, a batch at a time, in a
temporary table keyed by number (``stage``), then writes them all with one
statement per table (``insert_staged_opt_outs``): the rows reach every index
in number order in one pass, while the process holds one batch. PostgreSQL
imports write each batch as it comes (``insert_opt_outs``).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
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


def numbers_with_state_events(
    conn: Connection, account_id: int, numbers: Sequence[str]
) -> set[str]:
    """Those of ``numbers`` that were ever opted out or in on this account."""
    if not numbers:
        return set()
    sql, param = _probe(conn, "events", "DISTINCT x.phone_number", numbers, "kind IN (?, ?)")
    rows = conn.exec_driver_sql(
        sql,
        _params(conn, account_id, param, EventKind.OPT_OUT.value, EventKind.OPT_IN.value),
    )
    return {row[0] for row in rows}


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


def insert_opt_outs(
    conn: Connection,
    account_id: int,
    numbers: Sequence[str],
    *,
    source: str,
    actor: str | None,
    at: int,
    returning: bool = True,
) -> list[tuple[int, str, int]]:
    """Record an opt-out for each number and put it on the list, in input order (PostgreSQL).

    Returns ``(event id, number, stop id)`` per number, sorted by event id;
    with ``returning=False`` nothing is read back and the list is empty
    (reading a million rows back costs more than writing them when no one,
    such as a webhook, needs them). The caller holds the numbers' locks and
    has checked that none is on the list. Callers pass large batches sorted,
    so that the rows land in the ``(account_id, phone_number)`` indexes in
    order instead of all over them.
    """
    if not numbers:
        return []
    start = chain.take_head(conn, account_id)
    fields = _fields(account_id, source=source, actor=actor, at=at)
    links, head = chain.chain_numbers(chain.chain_keys(conn), start, numbers, fields)
    values = (links, account_id, EventKind.OPT_OUT.value, source, at, at, actor, start.length)
    rows = conn.exec_driver_sql(
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
        + (" RETURNING event_id, phone_number, id" if returning else ""),
        (*values, list(numbers)),
    )
    chain.set_head(conn, account_id, head)
    written = sorted(tuple(row) for row in rows) if returning else []
    touch_list(conn, account_id)
    return written


def _fields(account_id: int, *, source: str, actor: str | None, at: int) -> bytes:
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
    """Put ``numbers`` in this connection's staging table (SQLite); returns how many were new.

    The table is a temporary b-tree keyed by number, so repeats fall away as
    they come and a scan of it yields the file's numbers sorted, however
    many batches brought them, while the process holds only one batch. Each
    number's keyed digest (``chain.number_digest``) is staged beside it, for
    the chain and to find erased numbers: the hashing is done while staging,
    which needs no lock on the database, rather than while writing, which
    holds its only writer lock.
    """
    conn.exec_driver_sql(
        "CREATE TEMP TABLE IF NOT EXISTS staged_numbers "
        "(value TEXT PRIMARY KEY, digest BLOB NOT NULL) WITHOUT ROWID"
    )
    digests = chain.number_digests(chain.chain_keys(conn), numbers)
    result = conn.exec_driver_sql(
        # j.key counts from 0: the digest of the number at j.key starts at byte j.key * 32.
        "INSERT OR IGNORE INTO temp.staged_numbers "
        "SELECT j.value, substr(?1, j.key * 32 + 1, 32) FROM json_each(?2) j",
        (digests, orjson.dumps(list(numbers)).decode()),
    )
    return result.rowcount


def unstage_digests(conn: Connection, digests: Collection[bytes]) -> list[tuple[str, bytes]]:
    """Take the staged numbers whose digest is one of ``digests`` out of the staging table.

    Returns ``(number, digest)`` for each: an import leaves erased numbers to
    its caller, which counts them.
    """
    if not digests:
        return []
    wanted = orjson.dumps([digest.hex().upper() for digest in digests]).decode()
    found = [
        (str(row[0]), bytes(row[1]))
        for row in conn.exec_driver_sql(
            "SELECT value, digest FROM temp.staged_numbers "
            "WHERE hex(digest) IN (SELECT value FROM json_each(?))",
            (wanted,),
        )
    ]
    if found:
        conn.exec_driver_sql(
            "DELETE FROM temp.staged_numbers WHERE value IN (SELECT value FROM json_each(?))",
            (orjson.dumps([number for number, _ in found]).decode(),),
        )
    return found


_STAGED_STOPPED = (
    "EXISTS (SELECT 1 FROM stops s WHERE s.account_id = ? AND s.phone_number = t.value)"
)
_STAGED_DECIDED = (
    "EXISTS (SELECT 1 FROM events e WHERE e.account_id = ? AND e.phone_number = t.value "
    "AND e.kind IN (?, ?))"
)
_DECIDED_KINDS = (EventKind.OPT_OUT.value, EventKind.OPT_IN.value)
_CHAIN_BLOCK = 10_000


def staged_outcomes(conn: Connection, account_id: int) -> tuple[int, int]:
    """``(already on the list, opted in)`` among the staged numbers."""
    row = conn.exec_driver_sql(
        f"SELECT COALESCE(SUM({_STAGED_STOPPED}), 0), "
        f"COALESCE(SUM(NOT {_STAGED_STOPPED} AND {_STAGED_DECIDED}), 0) "
        "FROM temp.staged_numbers t",
        (account_id, account_id, account_id, *_DECIDED_KINDS),
    ).one()
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
    """Record an opt-out for each staged number never opted out or in, and stop it (SQLite).

    Returns how many were added and, with ``returning``, ``(event id,
    number, stop id)`` for each, sorted by event id. The staged numbers come
    out of their table in order, so every index takes its rows in one pass.
    ``look_up=False`` skips the look-ups when the account is known to have
    no event at all. The staging table is dropped.
    """
    # Under SQLite's single writer (this transaction began IMMEDIATE), every
    # event after the highest id seen before inserting is one inserted here,
    # so the new stops come from a range scan of the primary key.
    floor = max_event_id(conn)
    where = f" AND NOT {_STAGED_STOPPED} AND NOT {_STAGED_DECIDED}" if look_up else ""
    head = chain.take_head(conn, account_id)
    insert_sql = (
        # j.key counts from 0: the links of the number at j.key start at byte j.key * 96.
        "INSERT INTO events (account_id, phone_number, kind, source, event_at, received_at, "
        "actor, chain_seq, prev_hash, hash, number_digest) "
        f"SELECT {account_id}, j.value, ?1, ?2, ?3, ?3, ?4, ?5 + j.key + 1, "
        "substr(?6, j.key * 96 + 1, 32), substr(?6, j.key * 96 + 33, 32), "
        "substr(?6, j.key * 96 + 65, 32) FROM json_each(?7) j ORDER BY j.key"
    )
    driver = conn.connection.driver_connection
    assert driver is not None
    keys = chain.chain_keys(conn)
    fields = _fields(account_id, source=source, actor=actor, at=at)
    after = ""
    while True:
        # The staged numbers are read a block at a time, in order, and chained in Python.
        # Straight from the driver: a million numbers through result rows cost a second.
        rows = driver.execute(
            f"SELECT t.value, t.digest FROM temp.staged_numbers t WHERE t.value > ?{where} "
            f"ORDER BY t.value LIMIT {_CHAIN_BLOCK}",
            (after, *((account_id, account_id, *_DECIDED_KINDS) if look_up else ())),
        ).fetchall()
        if not rows:
            break
        block = [row[0] for row in rows]
        first, kind = head.length, EventKind.OPT_OUT.value
        links, head = chain.chain_digests(keys, head, b"".join(row[1] for row in rows), fields)
        conn.exec_driver_sql(
            insert_sql,
            (kind, source, at, actor, first, links, orjson.dumps(block).decode()),
        )
        after = block[-1]
    chain.set_head(conn, account_id, head)
    result = conn.exec_driver_sql(
        "INSERT INTO stops (account_id, phone_number, created_at, source, event_id) "
        "SELECT e.account_id, e.phone_number, e.event_at, e.source, e.id FROM events e "
        # The unary + keeps SQLite on the primary key: through the account's
        # index this would read every event of the account.
        "WHERE e.id > ? AND +e.account_id = ? AND +e.kind = ? ORDER BY e.id"
        + (" RETURNING event_id, phone_number, id" if returning else ""),
        (floor, account_id, EventKind.OPT_OUT.value),
    )
    rows = sorted(tuple(row) for row in result) if returning else []
    added = len(rows) if returning else result.rowcount
    conn.exec_driver_sql("DROP TABLE temp.staged_numbers")
    if added:
        touch_list(conn, account_id)
    return added, rows
