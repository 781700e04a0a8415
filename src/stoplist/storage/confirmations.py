"""SQL for confirmations: an account's settings and texts, and the confirmations given.

The SMS Partner key is stored sealed (``storage.secrets``) and opened on
read. Confirmations to send are claimed like webhook deliveries, with the
same compare-and-set on ``locked_until`` (``storage.webhooks.claim``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select, update

from stoplist.storage import secrets
from stoplist.storage import webhooks as outbox_sql
from stoplist.storage.schema import (
    confirmation_settings,
    confirmation_texts,
    confirmations,
    inserted_id,
)

INLINE = "inline"
SMSPARTNER = "smspartner"
ANSWERED = "answered"
"""The status of a confirmation handed back in the webhook's answer."""
PENDING = outbox_sql.PENDING
DELIVERED = outbox_sql.DELIVERED
FAILED = outbox_sql.FAILED


@dataclass(frozen=True, slots=True)
class SettingsRow:
    enabled: bool
    sender: str | None
    smspartner_key: str | None


@dataclass(frozen=True, slots=True)
class ConfirmationRow:
    id: int
    account_id: int
    phone_number: str
    kind: str
    language: str
    text: str
    event_id: int
    channel: str
    status: str
    sender: str | None
    attempts: int
    next_attempt_at: int | None
    locked_until: int | None
    last_status_code: int | None
    last_error: str | None
    created_at: int
    delivered_at: int | None


def _confirmation(row: Row[Any]) -> ConfirmationRow:
    return ConfirmationRow(**{name: getattr(row, name) for name in ConfirmationRow.__slots__})


def find_settings(conn: Connection, account_id: int) -> SettingsRow | None:
    row = conn.execute(
        select(confirmation_settings).where(confirmation_settings.c.account_id == account_id)
    ).first()
    if row is None:
        return None
    return SettingsRow(bool(row.enabled), row.sender, secrets.open_sealed(conn, row.smspartner_key))


def save_settings(conn: Connection, account_id: int, updated_at: int, **values: Any) -> None:
    """Change some of ``enabled``, ``sender`` and ``smspartner_key`` (sealed here)."""
    if "smspartner_key" in values:
        values["smspartner_key"] = secrets.seal(conn, values["smspartner_key"])
    where = confirmation_settings.c.account_id == account_id
    changed = conn.execute(
        update(confirmation_settings).where(where).values(updated_at=updated_at, **values)
    ).rowcount
    if not changed:
        conn.execute(
            insert(confirmation_settings).values(
                account_id=account_id, updated_at=updated_at, **values
            )
        )


def texts(conn: Connection, account_id: int) -> dict[tuple[str, str], str]:
    """The account's own texts, by ``(kind, language)``."""
    rows = conn.execute(
        select(
            confirmation_texts.c.kind, confirmation_texts.c.language, confirmation_texts.c.text
        ).where(confirmation_texts.c.account_id == account_id)
    )
    return {(row.kind, row.language): row.text for row in rows}


def save_text(
    conn: Connection, account_id: int, kind: str, language: str, text: str | None, at: int
) -> None:
    """Keep the account's text for ``kind`` in ``language``; None goes back to the default."""
    conn.execute(
        delete(confirmation_texts).where(
            confirmation_texts.c.account_id == account_id,
            confirmation_texts.c.kind == kind,
            confirmation_texts.c.language == language,
        )
    )
    if text is not None:
        conn.execute(
            insert(confirmation_texts).values(
                account_id=account_id, kind=kind, language=language, text=text, updated_at=at
            )
        )


def last_given(conn: Connection, account_id: int, phone_number: str, kind: str) -> int | None:
    """When the number was last given a confirmation of ``kind`` (None: never)."""
    return conn.execute(
        select(confirmations.c.created_at)
        .where(
            confirmations.c.account_id == account_id,
            confirmations.c.phone_number == phone_number,
            confirmations.c.kind == kind,
        )
        .order_by(confirmations.c.created_at.desc())
        .limit(1)
    ).scalar()


def for_event(conn: Connection, account_id: int, event_id: int) -> ConfirmationRow | None:
    row = conn.execute(
        select(confirmations)
        .where(confirmations.c.account_id == account_id, confirmations.c.event_id == event_id)
        .limit(1)
    ).first()
    return _confirmation(row) if row else None


def insert_confirmation(conn: Connection, **values: Any) -> int:
    return inserted_id(conn.execute(insert(confirmations).values(**values)))


def due_ids(conn: Connection, now: int, limit: int) -> list[int]:
    return outbox_sql.due_ids(conn, now, limit, confirmations)


def claim(conn: Connection, confirmation_id: int, now: int, locked_until: int) -> bool:
    return outbox_sql.claim(conn, confirmation_id, now, locked_until, confirmations)


def pending_backlog(conn: Connection) -> tuple[int, int | None]:
    """Confirmations waiting to be sent, and when the oldest of them was created."""
    return outbox_sql.pending_backlog(conn, confirmations)


def find(conn: Connection, confirmation_id: int) -> ConfirmationRow | None:
    row = conn.execute(select(confirmations).where(confirmations.c.id == confirmation_id)).first()
    return _confirmation(row) if row else None


def finish_attempt(
    conn: Connection,
    confirmation_id: int,
    *,
    attempted_at: int,
    status_code: int | None,
    error: str | None,
    status: str,
    next_attempt_at: int | None,
) -> None:
    outbox_sql.record_outcome(
        conn,
        confirmations,
        confirmation_id,
        attempted_at=attempted_at,
        status_code=status_code,
        error=error,
        status=status,
        next_attempt_at=next_attempt_at,
    )


def recent(conn: Connection, account_id: int, limit: int) -> list[ConfirmationRow]:
    rows = conn.execute(
        select(confirmations)
        .where(confirmations.c.account_id == account_id)
        .order_by(confirmations.c.id.desc())
        .limit(limit)
    )
    return [_confirmation(row) for row in rows]
