"""Reading events with their chain links: whole chains, one number's, a date range.

Chains and exports can hold millions of events, so they are streamed from a
server-side cursor on PostgreSQL (SQLite steps through its own), a block at
a time. The generators close their cursor in a ``finally``: close the
generator as soon as the caller is done (``contextlib.closing``), so that a
reader stopped halfway never leaves a PostgreSQL cursor open on a pooled
connection until the garbage collector finds it.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Connection, Select, select

from stoplist.records.events import ChainedEvent, ChainLink, Event, EventKind, Source
from stoplist.storage.schema import events

_BLOCK = 2000


def chained(row: Any) -> ChainedEvent:
    """An event and its link from a row of ``events`` (every column, in table order)."""
    m = row._mapping
    event = Event(
        id=m["id"],
        account_id=m["account_id"],
        phone_number=m["phone_number"],
        kind=EventKind(m["kind"]),
        source=Source(m["source"]),
        event_at=m["event_at"],
        received_at=m["received_at"],
        provider=m["provider"],
        provider_message_id=m["provider_message_id"],
        text=m["text"],
        actor=m["actor"],
        reason=m["reason"],
        details=orjson.loads(m["details"]) if m["details"] else {},
        provider_time_raw=m["provider_time_raw"],
    )
    link = ChainLink(
        seq=m["chain_seq"],
        prev_hash=_bytes(m["prev_hash"]),
        hash=_bytes(m["hash"]),
        text_digest=_bytes(m["text_digest"]),
        number_digest=_bytes(m["number_digest"]),
        details=m["details"],
    )
    return ChainedEvent(event, link)


def _bytes(value: Any) -> bytes | None:
    return None if value is None else bytes(value)


def iter_chain(
    conn: Connection, account_id: int, *, through: int | None = None
) -> Generator[ChainedEvent, None, None]:
    """The account's chained events in chain order (up to position ``through``)."""
    where: list[ColumnElement[bool]] = [
        events.c.account_id == account_id,
        events.c.chain_seq.is_not(None),
    ]
    if through is not None:
        where.append(events.c.chain_seq <= through)
    yield from _stream(conn, select(events).where(*where).order_by(events.c.chain_seq))


def iter_range(
    conn: Connection, account_id: int, *, since: int | None, until: int | None
) -> Generator[ChainedEvent, None, None]:
    """The account's events whose event time is in ``[since, until)``, in chain order.

    Events never chained (inserted by hand) come last, by id.
    """
    query = select(events).where(events.c.account_id == account_id)
    if since is not None:
        query = query.where(events.c.event_at >= since)
    if until is not None:
        query = query.where(events.c.event_at < until)
    yield from _stream(
        conn, query.order_by(events.c.chain_seq.is_(None), events.c.chain_seq, events.c.id)
    )


def first_unchained(conn: Connection, account_id: int) -> ChainedEvent | None:
    """The first event (by id) that has no place in the chain: it was inserted by hand."""
    row = conn.execute(
        select(events)
        .where(events.c.account_id == account_id, events.c.chain_seq.is_(None))
        .order_by(events.c.id)
        .limit(1)
    ).first()
    return chained(row) if row is not None else None


def number_events(
    conn: Connection, account_id: int, phone_number: str, stand_in: str
) -> list[ChainedEvent]:
    """Every event of one number, those under its erased ``stand_in`` included, in chain
    order (unchained ones last, by id)."""
    numbers = [phone_number, stand_in]
    rows = conn.execute(
        select(events)
        .where(events.c.account_id == account_id, events.c.phone_number.in_(numbers))
        .order_by(events.c.chain_seq.is_(None), events.c.chain_seq, events.c.id)
    )
    return [chained(row) for row in rows]


def accounts_with_events(conn: Connection) -> list[int]:
    return [row[0] for row in conn.execute(select(events.c.account_id).distinct())]


def _stream(conn: Connection, query: Select[Any]) -> Generator[ChainedEvent, None, None]:
    # A server-side cursor on PostgreSQL (psycopg's named cursor); SQLite steps lazily.
    result = conn.execution_options(stream_results=True, yield_per=_BLOCK).execute(query)
    try:
        for row in result:
            yield chained(row)
    finally:
        result.close()
