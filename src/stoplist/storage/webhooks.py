"""SQL for outgoing webhooks: endpoints, the delivery outbox, and attempts.

Endpoint secrets are stored sealed (``storage.secrets``) and opened on read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Connection, Row, Table, and_, delete, func, insert, or_, select, update

from stoplist.storage import secrets
from stoplist.storage.schema import (
    inserted_id,
    webhook_attempts,
    webhook_deliveries,
    webhook_endpoints,
)

PENDING = "pending"
DELIVERED = "delivered"
FAILED = "failed"
CANCELLED = "cancelled"
DeliveryStatus = Literal["pending", "delivered", "failed", "cancelled"]
"""What the ``status`` column of a delivery holds."""


@dataclass(frozen=True, slots=True)
class EndpointRow:
    id: int
    account_id: int
    url: str
    secret: str
    created_at: int
    disabled_at: int | None


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    id: int
    account_id: int
    endpoint_id: int
    event_id: int
    message_id: str
    payload: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: int
    locked_until: int | None
    last_status_code: int | None
    last_error: str | None
    created_at: int
    delivered_at: int | None


@dataclass(frozen=True, slots=True)
class AttemptRow:
    id: int
    delivery_id: int
    attempted_at: int
    status_code: int | None
    error: str | None
    duration_ms: int | None


def _endpoint(conn: Connection, row: Row[Any]) -> EndpointRow:
    secret = secrets.box(conn).open(row.secret)
    return EndpointRow(row.id, row.account_id, row.url, secret, row.created_at, row.disabled_at)


def _delivery(row: Row[Any]) -> DeliveryRow:
    return DeliveryRow(**{name: getattr(row, name) for name in DeliveryRow.__slots__})


def insert_endpoint(
    conn: Connection, account_id: int, url: str, secret: str, created_at: int
) -> EndpointRow:
    endpoint_id = inserted_id(
        conn.execute(
            insert(webhook_endpoints).values(
                account_id=account_id,
                url=url,
                secret=secrets.box(conn).seal(secret),
                created_at=created_at,
            )
        )
    )
    return find_endpoint(conn, account_id, endpoint_id)  # type: ignore[return-value]


def find_endpoint(conn: Connection, account_id: int, endpoint_id: int) -> EndpointRow | None:
    row = conn.execute(
        select(webhook_endpoints).where(
            webhook_endpoints.c.account_id == account_id, webhook_endpoints.c.id == endpoint_id
        )
    ).first()
    return _endpoint(conn, row) if row else None


def list_endpoints(
    conn: Connection, account_id: int, *, active_only: bool = False
) -> list[EndpointRow]:
    query = select(webhook_endpoints).where(webhook_endpoints.c.account_id == account_id)
    if active_only:
        query = query.where(webhook_endpoints.c.disabled_at.is_(None))
    return [_endpoint(conn, row) for row in conn.execute(query.order_by(webhook_endpoints.c.id))]


def disable_endpoint(conn: Connection, endpoint_id: int, disabled_at: int) -> None:
    conn.execute(
        update(webhook_endpoints)
        .where(webhook_endpoints.c.id == endpoint_id)
        .values(disabled_at=disabled_at)
    )
    conn.execute(
        update(webhook_deliveries)
        .where(
            webhook_deliveries.c.endpoint_id == endpoint_id,
            webhook_deliveries.c.status == PENDING,
        )
        .values(status=CANCELLED, locked_until=None)
    )


def insert_deliveries(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(webhook_deliveries), rows)


def due_ids(
    conn: Connection, now: int, limit: int, outbox: Table = webhook_deliveries
) -> list[int]:
    """Pending deliveries whose time has come and that nobody holds.

    ``outbox`` is any table with ``id``, ``status``, ``next_attempt_at`` and
    ``locked_until``: the webhook deliveries, or the confirmations to send.
    """
    rows = conn.execute(
        select(outbox.c.id)
        .where(
            outbox.c.status == PENDING,
            outbox.c.next_attempt_at <= now,
            _unlocked(now, outbox),
        )
        .order_by(outbox.c.next_attempt_at, outbox.c.id)
        .limit(limit)
    )
    return [row.id for row in rows]


def _unlocked(now: int, outbox: Table = webhook_deliveries) -> Any:
    return or_(outbox.c.locked_until.is_(None), outbox.c.locked_until < now)


def claim(
    conn: Connection,
    delivery_id: int,
    now: int,
    locked_until: int,
    outbox: Table = webhook_deliveries,
) -> bool:
    """Take a delivery for ``locked_until``; False when another process holds it.

    A compare-and-set on ``locked_until``: PostgreSQL re-checks the condition
    after waiting for a concurrent claimer's row lock, SQLite runs writers
    one at a time, so one row is never claimed twice.
    """
    result = conn.execute(
        update(outbox)
        .where(outbox.c.id == delivery_id, outbox.c.status == PENDING, _unlocked(now, outbox))
        .values(locked_until=locked_until)
    )
    return result.rowcount == 1


def find_delivery(conn: Connection, delivery_id: int) -> DeliveryRow | None:
    row = conn.execute(
        select(webhook_deliveries).where(webhook_deliveries.c.id == delivery_id)
    ).first()
    return _delivery(row) if row else None


def finish_attempt(
    conn: Connection,
    delivery_id: int,
    *,
    attempted_at: int,
    status_code: int | None,
    error: str | None,
    duration_ms: int,
    status: str,
    next_attempt_at: int | None,
) -> None:
    """Record one attempt and what it means for a still-pending delivery, in one go."""
    conn.execute(
        insert(webhook_attempts).values(
            delivery_id=delivery_id,
            attempted_at=attempted_at,
            status_code=status_code,
            error=error,
            duration_ms=duration_ms,
        )
    )
    # A delivery cancelled while this attempt was in flight stays cancelled.
    record_outcome(
        conn,
        webhook_deliveries,
        delivery_id,
        attempted_at=attempted_at,
        status_code=status_code,
        error=error,
        status=status,
        next_attempt_at=next_attempt_at,
    )


def record_outcome(
    conn: Connection,
    outbox: Table,
    row_id: int,
    *,
    attempted_at: int,
    status_code: int | None,
    error: str | None,
    status: str,
    next_attempt_at: int | None,
) -> None:
    """What one attempt means for a row of ``outbox`` that is still pending (and only then)."""
    values: dict[str, Any] = {
        "status": status,
        "attempts": outbox.c.attempts + 1,
        "locked_until": None,
        "last_status_code": status_code,
        "last_error": error,
    }
    if status == DELIVERED:
        values["delivered_at"] = attempted_at
    if next_attempt_at is not None:
        values["next_attempt_at"] = next_attempt_at
    conn.execute(
        update(outbox).where(outbox.c.id == row_id, outbox.c.status == PENDING).values(**values)
    )


def list_deliveries(
    conn: Connection,
    account_id: int,
    *,
    status: str | None = None,
    endpoint_id: int | None = None,
    limit: int = 100,
) -> list[DeliveryRow]:
    query = select(webhook_deliveries).where(webhook_deliveries.c.account_id == account_id)
    if status is not None:
        query = query.where(webhook_deliveries.c.status == status)
    if endpoint_id is not None:
        query = query.where(webhook_deliveries.c.endpoint_id == endpoint_id)
    rows = conn.execute(query.order_by(webhook_deliveries.c.id.desc()).limit(limit))
    return [_delivery(row) for row in rows]


def attempts_of(conn: Connection, delivery_ids: list[int]) -> dict[int, list[AttemptRow]]:
    found: dict[int, list[AttemptRow]] = {delivery_id: [] for delivery_id in delivery_ids}
    if not delivery_ids:
        return found
    rows = conn.execute(
        select(webhook_attempts)
        .where(webhook_attempts.c.delivery_id.in_(delivery_ids))
        .order_by(webhook_attempts.c.id)
    )
    for row in rows:
        found[row.delivery_id].append(
            AttemptRow(
                row.id, row.delivery_id, row.attempted_at, row.status_code, row.error,
                row.duration_ms,
            )
        )  # fmt: skip
    return found


def make_due(conn: Connection, account_id: int | None, now: int) -> int:
    """Bring every pending delivery's next attempt forward to ``now``."""
    condition = webhook_deliveries.c.status == PENDING
    if account_id is not None:
        condition = and_(condition, webhook_deliveries.c.account_id == account_id)
    return conn.execute(
        update(webhook_deliveries).where(condition).values(next_attempt_at=now)
    ).rowcount


def purge_finished(conn: Connection, before: int, limit: int) -> int:
    """Delete up to ``limit`` of the oldest deliveries, if finished before ``before``.

    Only the oldest rows are looked at (by id, which follows creation), so a
    pass costs the same however long the table is; a delivery still pending
    among them is kept, and waits for its retries to end. Its attempts go too.
    """
    oldest = (
        select(webhook_deliveries.c.id).order_by(webhook_deliveries.c.id).limit(limit).subquery()
    )
    ids = [
        row[0]
        for row in conn.execute(
            select(webhook_deliveries.c.id).where(
                webhook_deliveries.c.id.in_(select(oldest.c.id)),
                webhook_deliveries.c.status != PENDING,
                webhook_deliveries.c.created_at < before,
            )
        )
    ]
    if ids:
        conn.execute(delete(webhook_attempts).where(webhook_attempts.c.delivery_id.in_(ids)))
        conn.execute(delete(webhook_deliveries).where(webhook_deliveries.c.id.in_(ids)))
    return len(ids)


def pending_backlog(conn: Connection, outbox: Table = webhook_deliveries) -> tuple[int, int | None]:
    """How many deliveries (of ``outbox``, see ``due_ids``) are pending, and when the oldest
    of them was created.

    Ids follow creation, so the oldest pending delivery is the one with the
    smallest id (found from the status index, whatever the table's length).
    """
    pending = outbox.c.status == PENDING
    count = conn.execute(select(func.count()).where(pending)).scalar_one()
    if not count:
        return 0, None
    oldest = select(func.min(outbox.c.id)).where(pending).scalar_subquery()
    created = conn.execute(select(outbox.c.created_at).where(outbox.c.id == oldest)).scalar()
    return count, created
