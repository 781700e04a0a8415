"""SQL for retention: each account's period, blanking old texts, the sweeps' events.

Blanking sets ``events.text`` to NULL and leaves ``text_digest`` in place,
so the chain (``storage.chain``) still verifies; a review item's copy of the
text becomes the empty string (the column is not nullable). Each call blanks
at most ``limit`` rows, found through ``ix_events_account_time``. A sweep is
itself an event of the account, chained with the others.
"""

from __future__ import annotations

from sqlalchemy import Connection, select, update

from stoplist.records.events import Event, EventKind, NewEvent
from stoplist.storage.events import event_of, insert_event
from stoplist.storage.schema import accounts, events, review_items


def retention_days(conn: Connection, account_id: int) -> int:
    return int(
        conn.execute(
            select(accounts.c.retention_days).where(accounts.c.id == account_id)
        ).scalar_one()
    )


def set_retention_days(conn: Connection, account_id: int, days: int) -> None:
    conn.execute(update(accounts).where(accounts.c.id == account_id).values(retention_days=days))


def blank_event_texts(conn: Connection, account_id: int, cutoff: int, limit: int) -> int:
    """Blank the texts of up to ``limit`` events older than ``cutoff``: how many."""
    chosen = (
        select(events.c.id)
        .where(
            events.c.account_id == account_id,
            events.c.event_at < cutoff,
            events.c.text.is_not(None),
        )
        .limit(limit)
        .scalar_subquery()
    )
    result = conn.execute(
        update(events)
        .where(events.c.account_id == account_id, events.c.id.in_(chosen))
        .values(text=None)
    )
    return int(result.rowcount)


def blank_review_texts(conn: Connection, account_id: int, cutoff: int, limit: int) -> int:
    """Blank the copies of texts kept by up to ``limit`` review items older than ``cutoff``."""
    chosen = (
        select(review_items.c.id)
        .where(
            review_items.c.account_id == account_id,
            review_items.c.message_at < cutoff,
            review_items.c.text != "",
        )
        .limit(limit)
        .scalar_subquery()
    )
    result = conn.execute(
        update(review_items)
        .where(review_items.c.account_id == account_id, review_items.c.id.in_(chosen))
        .values(text="")
    )
    return int(result.rowcount)


def record_sweep(conn: Connection, account_id: int, sweep: NewEvent, ran_at: int) -> int:
    """Chain the sweep's event (``EventKind.RETENTION``, of the whole account)."""
    return insert_event(conn, account_id, sweep, event_at=ran_at, received_at=ran_at)


def sweeps(conn: Connection, account_id: int, limit: int) -> list[Event]:
    """The account's latest sweep events, newest first (in chain order)."""
    rows = conn.execute(
        select(events)
        .where(events.c.account_id == account_id, events.c.kind == EventKind.RETENTION.value)
        .order_by(events.c.chain_seq.desc())
        .limit(limit)
    )
    return [event_of(row) for row in rows]
