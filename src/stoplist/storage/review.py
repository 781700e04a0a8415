"""SQL for the review queue of possible opt-outs (see ``domain.review``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, case, func, insert, select, update

from stoplist.storage.schema import inserted_id, review_items

PENDING = "pending"
CONFIRMED = "confirmed"


def insert_item(conn: Connection, account_id: int, **values: Any) -> int:
    """A new pending item; returns its id."""
    return inserted_id(
        conn.execute(insert(review_items).values(account_id=account_id, status=PENDING, **values))
    )


def find(conn: Connection, account_id: int, item_id: int) -> Row[Any] | None:
    return conn.execute(
        select(review_items).where(
            review_items.c.account_id == account_id, review_items.c.id == item_id
        )
    ).first()


def find_by_event(conn: Connection, account_id: int, event_id: int) -> Row[Any] | None:
    return conn.execute(
        select(review_items).where(
            review_items.c.account_id == account_id, review_items.c.event_id == event_id
        )
    ).first()


def items(
    conn: Connection, account_id: int, *, status: str | None, limit: int, after: int | None
) -> list[Row[Any]]:
    """Oldest first (the queue's order), ``after`` an id for the next page."""
    query = select(review_items).where(review_items.c.account_id == account_id)
    if status is not None:
        query = query.where(review_items.c.status == status)
    if after is not None:
        query = query.where(review_items.c.id > after)
    return list(conn.execute(query.order_by(review_items.c.id).limit(limit)))


def decided(conn: Connection, account_id: int, *, limit: int) -> list[Row[Any]]:
    """Decided items, newest decision first."""
    query = (
        select(review_items)
        .where(review_items.c.account_id == account_id, review_items.c.status != PENDING)
        .order_by(review_items.c.decided_at.desc(), review_items.c.id.desc())
        .limit(limit)
    )
    return list(conn.execute(query))


def decide(
    conn: Connection,
    account_id: int,
    item_id: int,
    *,
    status: str,
    decided_at: int,
    decided_by: str | None,
    reason: str | None,
    event_id: int,
) -> bool:
    """Record a decision on a pending item; False when it was decided already."""
    changed = conn.execute(
        update(review_items)
        .where(
            review_items.c.account_id == account_id,
            review_items.c.id == item_id,
            review_items.c.status == PENDING,
        )
        .values(
            status=status,
            decided_at=decided_at,
            decided_by=decided_by,
            decision_reason=reason,
            decision_event_id=event_id,
        )
    ).rowcount
    return bool(changed)


def pending_counts(conn: Connection, account_id: int | None, older_than: int) -> tuple[int, int]:
    """Pending items, and those of them created before ``older_than`` (all accounts for None)."""
    overdue = func.sum(case((review_items.c.created_at < older_than, 1), else_=0))
    query = select(func.count(), overdue).where(review_items.c.status == PENDING)
    if account_id is not None:
        query = query.where(review_items.c.account_id == account_id)
    total, old = conn.execute(query).one()
    return int(total or 0), int(old or 0)
