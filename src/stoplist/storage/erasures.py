"""SQL for erasure: a number replaced by its keyed digest everywhere, and still suppressed.

``erased_numbers`` holds, per account, the digest of each erased number
(``chain.number_digest``, keyed by the secrets key file) with the stop it
had. Once the person's opt-in lifts the erasure the row stays, with
``lifted_at``: it no longer suppresses the number, but it still says that
the number's earlier history (its opt-out, the opt-in) lives under its
stand-in, which an import and the number's later events must take into
account (``lookup``). Every other table that named the number names its stand-in
(``chain.erased_stand_in``) instead, or lets go of the row. Each function
runs inside the caller's transaction, which holds the account's list lock.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, delete, insert, select, update

from stoplist.storage.driver_sql import driver_sql
from stoplist.storage.review import CONFIRMED, PENDING
from stoplist.storage.schema import (
    confirmations,
    erased_numbers,
    events,
    inbound_parts,
    review_items,
    webhook_deliveries,
)

ERASED_DECISION = "number erased: it stays stopped"
"""The reason a pending review item of an erased number is closed with."""


@dataclass(frozen=True, slots=True)
class ErasedEntry:
    """An erased number's suppression: the stop it had, and when it was erased."""

    stop_id: int
    created_at: int
    source: str
    erased_at: int
    event_id: int
    lifted_at: int | None = None
    """When the person's opt-in lifted the erasure (``lookup`` only: ``find`` skips those)."""


@dataclass(frozen=True, slots=True)
class Concealed:
    """How many rows an erasure rewrote or let go of, table by table."""

    events: int
    review_items: int
    confirmations: int
    webhook_deliveries: int
    inbound_parts: int


@dataclass(frozen=True, slots=True)
class ErasedMark:
    """What an account's erased digest stands for: the stop it keeps, unless lifted."""

    stop_id: int
    lifted: bool


_LOOKUP = (
    "SELECT stop_id, created_at, source, erased_at, event_id, lifted_at FROM erased_numbers "
    "WHERE account_id = ? AND number_digest = ?"
)
_FIND = f"{_LOOKUP} AND lifted_at IS NULL"


def find(conn: Connection, account_id: int, digest: bytes) -> ErasedEntry | None:
    """The number's erasure while it suppresses the number (not lifted)."""
    row = conn.exec_driver_sql(driver_sql(conn, _FIND), (account_id, digest)).first()
    return ErasedEntry(*row) if row is not None else None


def lookup(conn: Connection, account_id: int, digest: bytes) -> ErasedEntry | None:
    """The number's erasure, lifted or not."""
    row = conn.exec_driver_sql(driver_sql(conn, _LOOKUP), (account_id, digest)).first()
    return ErasedEntry(*row) if row is not None else None


def find_by_stop_id(conn: Connection, account_id: int, stop_id: int) -> ErasedEntry | None:
    row = conn.execute(
        select(
            erased_numbers.c.stop_id,
            erased_numbers.c.created_at,
            erased_numbers.c.source,
            erased_numbers.c.erased_at,
            erased_numbers.c.event_id,
        ).where(
            erased_numbers.c.account_id == account_id,
            erased_numbers.c.stop_id == stop_id,
            erased_numbers.c.lifted_at.is_(None),
        )
    ).first()
    return ErasedEntry(*row) if row is not None else None


_DIGESTS = (
    "SELECT number_digest, stop_id, lifted_at IS NOT NULL FROM erased_numbers WHERE account_id = ?"
)


def digests(conn: Connection, account_id: int) -> dict[bytes, ErasedMark]:
    """Every number erased on the account, lifted or not, by its digest.

    Erasures are rare (one per person who asks), so a whole account's fit in
    memory; an account with none costs one index probe.
    """
    rows = conn.exec_driver_sql(driver_sql(conn, _DIGESTS), (account_id,))
    return {
        bytes(digest): ErasedMark(int(stop_id), bool(lifted)) for digest, stop_id, lifted in rows
    }


def save_entry(conn: Connection, account_id: int, digest: bytes, entry: ErasedEntry) -> None:
    """Keep the number's erasure: a new row, or the row of an erasure lifted before."""
    values = {
        "stop_id": entry.stop_id,
        "created_at": entry.created_at,
        "source": entry.source,
        "erased_at": entry.erased_at,
        "event_id": entry.event_id,
        "lifted_at": None,
        "lifted_event_id": None,
    }
    erased_again = conn.execute(
        update(erased_numbers)
        .where(
            erased_numbers.c.account_id == account_id,
            erased_numbers.c.number_digest == digest,
            erased_numbers.c.lifted_at.is_not(None),
        )
        .values(**values)
    ).rowcount
    if not erased_again:
        conn.execute(
            insert(erased_numbers).values(account_id=account_id, number_digest=digest, **values)
        )


def lift(conn: Connection, account_id: int, digest: bytes, *, at: int, event_id: int) -> None:
    """The person's opt-in (``event_id``, dated ``at``) lifted the number's erasure."""
    conn.execute(
        update(erased_numbers)
        .where(
            erased_numbers.c.account_id == account_id,
            erased_numbers.c.number_digest == digest,
            erased_numbers.c.lifted_at.is_(None),
        )
        .values(lifted_at=at, lifted_event_id=event_id)
    )


@dataclass(frozen=True, slots=True)
class Erasure:
    """The erasure's own event: who did it and when (it closes pending review items)."""

    event_id: int
    erased_at: int
    actor: str | None


def conceal(
    conn: Connection, account_id: int, number: str, stand_in: str, erasure: Erasure
) -> Concealed:
    """Put ``stand_in`` wherever ``number`` was, and drop what the number's texts were.

    Events keep everything the chain needs (their digests of the number and
    the text); review items keep their phrase and decision, and one still
    pending is closed as confirmed by the erasure (the number stays
    stopped, and a later decision would write the stand-in as a number);
    confirmations given stay as a record, and one still waiting to be sent
    is given up. Webhook deliveries of the number's events carry it in
    their payload, and pieces of its long messages carry its text: both are
    deleted.
    """
    own = events.c.account_id == account_id
    event_ids = select(events.c.id).where(own, events.c.phone_number == number)
    deliveries = conn.execute(
        delete(webhook_deliveries).where(
            webhook_deliveries.c.account_id == account_id,
            webhook_deliveries.c.event_id.in_(event_ids.scalar_subquery()),
        )
    ).rowcount
    rewritten = conn.execute(
        update(events)
        .where(own, events.c.phone_number == number)
        .values(phone_number=stand_in, text=None)
    ).rowcount
    own_items = (review_items.c.account_id == account_id, review_items.c.phone_number == number)
    conn.execute(
        update(review_items)
        .where(*own_items, review_items.c.status == PENDING)
        .values(
            status=CONFIRMED,
            decided_at=erasure.erased_at,
            decided_by=erasure.actor,
            decision_reason=ERASED_DECISION,
            decision_event_id=erasure.event_id,
        )
    )
    items = conn.execute(
        update(review_items).where(*own_items).values(phone_number=stand_in, text="")
    ).rowcount
    mine = (confirmations.c.account_id == account_id, confirmations.c.phone_number == number)
    conn.execute(
        update(confirmations)
        .where(*mine, confirmations.c.status == "pending")
        .values(status="failed", next_attempt_at=None, last_error="number erased")
    )
    given = conn.execute(update(confirmations).where(*mine).values(phone_number=stand_in)).rowcount
    parts = conn.execute(
        delete(inbound_parts).where(
            inbound_parts.c.account_id == account_id, inbound_parts.c.sender == number
        )
    ).rowcount
    return Concealed(rewritten, items, given, deliveries, parts)
