"""SQL for retention: each account's period, blanking old texts, the record of sweeps.

Blanking sets ``events.text`` to NULL and leaves ``text_digest`` in place,
so the chain (``storage.chain``) still verifies; a review item's copy of the
text becomes the empty string (the column is not nullable). Each call blanks
at most ``limit`` rows, found through ``ix_events_account_time``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, insert, select, update

from stoplist.storage.schema import accounts, events, retention_sweeps, review_items


@dataclass(frozen=True, slots=True)
class Sweep:
    """One recorded sweep of an account."""

    ran_at: int
    retention_days: int
    cutoff: int
    texts_blanked: int
    review_texts_blanked: int


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


def record_sweep(conn: Connection, account_id: int, sweep: Sweep) -> None:
    conn.execute(
        insert(retention_sweeps).values(
            account_id=account_id,
            ran_at=sweep.ran_at,
            retention_days=sweep.retention_days,
            cutoff=sweep.cutoff,
            texts_blanked=sweep.texts_blanked,
            review_texts_blanked=sweep.review_texts_blanked,
        )
    )


def sweeps(conn: Connection, account_id: int, limit: int) -> list[Sweep]:
    """The account's latest sweeps, newest first."""
    rows = conn.execute(
        select(
            retention_sweeps.c.ran_at,
            retention_sweeps.c.retention_days,
            retention_sweeps.c.cutoff,
            retention_sweeps.c.texts_blanked,
            retention_sweeps.c.review_texts_blanked,
        )
        .where(retention_sweeps.c.account_id == account_id)
        .order_by(retention_sweeps.c.ran_at.desc(), retention_sweeps.c.id.desc())
        .limit(limit)
    )
    return [Sweep(*row) for row in rows]
