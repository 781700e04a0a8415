"""SQL for the events table: the history of every number."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Connection, Row, and_, case, func, insert, or_, select

from stoplist.records.events import RANKING_SLACK, Event, EventKind, NewEvent, Source, ranking_time
from stoplist.storage import chain
from stoplist.storage.schema import events, inserted_id
from stoplist.storage.text import storable

_STATE_KINDS = (EventKind.OPT_OUT.value, EventKind.OPT_IN.value)


def event_of(row: Row[Any]) -> Event:
    return Event(
        id=row.id,
        account_id=row.account_id,
        phone_number=row.phone_number,
        kind=EventKind(row.kind),
        source=Source(row.source),
        event_at=row.event_at,
        received_at=row.received_at,
        provider=row.provider,
        provider_message_id=row.provider_message_id,
        text=row.text,
        actor=row.actor,
        reason=row.reason,
        details=orjson.loads(row.details) if row.details else {},
        provider_time_raw=row.provider_time_raw,
    )


def insert_event(
    conn: Connection,
    account_id: int,
    new: NewEvent,
    *,
    event_at: int,
    received_at: int,
    erased: bool = False,
) -> int:
    """Record one event at the end of its account's chain (the head is locked until commit).

    ``erased``: the number was erased (``storage.erasures``); the chain hashes
    the digests of the number and the text as usual, but the row keeps the
    number's stand-in and no text.
    """
    keys = chain.chain_keys(conn)
    details = orjson.dumps(new.details).decode() if new.details else None
    head = chain.take_head(conn, account_id)
    seq = head.length + 1
    number = chain.number_digest(keys, new.phone_number)
    text = chain.text_digest(new.text)
    fields = chain.fields_digest(
        account_id,
        kind=new.kind.value,
        source=new.source.value,
        event_at=event_at,
        received_at=received_at,
        provider=new.provider,
        provider_message_id=new.provider_message_id,
        actor=new.actor,
        reason=new.reason,
        details=details,
        provider_time_raw=new.provider_time_raw,
    )
    own = chain.link_hash(keys, head.hash, fields, seq, number, text)
    event_id = inserted_id(
        conn.execute(
            insert(events).values(
                account_id=account_id,
                phone_number=chain.erased_stand_in(number) if erased else new.phone_number,
                kind=new.kind.value,
                source=new.source.value,
                event_at=event_at,
                received_at=received_at,
                provider=new.provider,
                provider_message_id=new.provider_message_id,
                text=None if erased else new.text,
                actor=new.actor,
                reason=new.reason,
                details=details,
                provider_time_raw=new.provider_time_raw,
                chain_seq=seq,
                prev_hash=head.hash,
                hash=own,
                text_digest=text,
                number_digest=number,
            )
        )
    )
    chain.set_head(conn, account_id, chain.Head(seq, own))
    return event_id


REUSED_ID_MARK = "#"
"""Between a provider message id and the number given to another message that reused it."""
_ID_LENGTH = 200
"""The length of ``events.provider_message_id`` (``storage.schema``), which ids are fitted to."""
_REUSABLE_ID_LENGTH = 190
"""How much of an id a reused form keeps: room for ``#`` and a number in the column's 200."""


@dataclass(frozen=True, slots=True)
class MessageMatch:
    """What the events already recorded say of a provider message from one sender."""

    seen: Event | None
    """The event it is a redelivery of, if any."""
    free_id: str
    """The id to record it under otherwise: its own, or the next ``id#n``."""


def match_message(
    conn: Connection,
    account_id: int,
    provider: str,
    provider_message_id: str,
    phone_number: str,
    text: str | None,
    *,
    changes_state: bool,
) -> MessageMatch:
    """Whether this message is a redelivery, and the id it gets if not, in one query.

    Ids are only unique per sender for formats such as the generic one, whose
    ids the sender's side makes up, and such counters start again. So a
    message is a redelivery of an earlier one from the same sender only
    with the same id and text (compared by digest, which stays when an
    erasure or the retention period blanks the text itself), and only while
    no opt-out or opt-in of the number came after that one: the person who
    sent STOP, then START, then STOP again under a reused id changed their
    mind twice (``changes_state``: the message is an opt-out or opt-in).
    Another message is recorded as ``id#2``, ``id#3``... A true redelivery
    after a later change is then recorded again, at its own event time,
    which keeps it behind that change.
    """
    later = events.alias("later")
    changed_since = (
        select(later.c.id)
        .where(
            later.c.account_id == account_id,
            later.c.phone_number == phone_number,
            later.c.kind.in_(_STATE_KINDS),
            later.c.id > events.c.id,
        )
        .exists()
        .label("changed_since")
    )
    rows = conn.execute(
        select(events, changed_since)
        .where(*_message_ids(account_id, provider, provider_message_id, phone_number))
        .order_by(events.c.id.desc())
    ).all()
    digest = chain.text_digest(text)
    seen = next(
        (
            row
            for row in rows
            if _digest(row.text_digest) == digest and not (changes_state and row.changed_since)
        ),
        None,
    )
    taken = {row.provider_message_id for row in rows}
    return MessageMatch(
        event_of(seen) if seen is not None else None, _free_id(provider_message_id, taken)
    )


def _digest(value: Any) -> bytes | None:
    """A stored digest as bytes (PostgreSQL's driver may give a ``memoryview``)."""
    return None if value is None else bytes(value)


def _free_id(provider_message_id: str, taken: set[str]) -> str:
    """``provider_message_id``, or the next ``id#n`` when another message has it."""
    if storable(provider_message_id, _ID_LENGTH) not in taken:
        return provider_message_id
    base = _reused_base(provider_message_id)
    number = 2
    while f"{base}{number}" in taken:
        number += 1
    return f"{base}{number}"


def _reused_base(provider_message_id: str) -> str:
    """How the reused forms of an id begin, as stored (NUL and lone surrogates replaced)."""
    return storable(provider_message_id[:_REUSABLE_ID_LENGTH]) + REUSED_ID_MARK


def _message_ids(
    account_id: int, provider: str, provider_message_id: str, phone_number: str
) -> tuple[ColumnElement[bool], ...]:
    """The events of a sender's message id, and of the messages that reused it.

    Compared with ``substr`` rather than ``LIKE``: SQLite's ``LIKE`` ignores
    the case of ASCII letters, and ids are case-sensitive.
    """
    base = _reused_base(provider_message_id)
    return (
        events.c.account_id == account_id,
        events.c.provider == provider,
        events.c.phone_number == phone_number,
        or_(
            events.c.provider_message_id == provider_message_id,
            func.substr(events.c.provider_message_id, 1, len(base)) == base,
        ),
    )


def _numbered(phone_number: str, stand_in: str | None) -> ColumnElement[bool]:
    """Events of the number, and of its erased ``stand_in`` when its erasure was lifted."""
    if stand_in is None:
        return events.c.phone_number == phone_number
    return events.c.phone_number.in_((phone_number, stand_in))


def _ranked_at() -> ColumnElement[int]:
    """``records.events.ranking_time`` in SQL: a whole-second opt-out ranks at its second's end."""
    whole_second_opt_out = and_(
        events.c.kind == EventKind.OPT_OUT.value, events.c.event_at % (RANKING_SLACK + 1) == 0
    )
    return case((whole_second_opt_out, events.c.event_at + RANKING_SLACK), else_=events.c.event_at)


def latest_state_event(
    conn: Connection, account_id: int, phone_number: str, stand_in: str | None = None
) -> Event | None:
    """The opt-out or opt-in that ranks latest (``records.events.ranking_time``; ties: the
    later recorded).

    Only events within a second of the latest event time can rank above it,
    so the number's index finds them however long its history.
    """
    of_number = (
        events.c.account_id == account_id,
        _numbered(phone_number, stand_in),
        events.c.kind.in_(_STATE_KINDS),
    )
    newest = (
        select(events.c.event_at)
        .where(*of_number)
        .order_by(events.c.event_at.desc())
        .limit(1)
        .correlate(None)
        .scalar_subquery()
    )
    row = conn.execute(
        select(events)
        .where(*of_number, events.c.event_at >= newest - RANKING_SLACK)
        .order_by(_ranked_at().desc(), events.c.id.desc())
        .limit(1)
    ).first()
    return event_of(row) if row else None


def first_opt_out_after(
    conn: Connection,
    account_id: int,
    phone_number: str,
    after: Event | None,
    stand_in: str | None = None,
) -> Event | None:
    """The earliest opt-out ranked after ``after`` (or ever, when ``after`` is None), by
    ``records.events.ranking_time``.

    An opt-out ranks at most a second after its event time, so the first one
    is within a second of the earliest event time among those ranked after
    ``after``; only those are sorted.
    """
    ranked_at = _ranked_at()
    conditions = [
        events.c.account_id == account_id,
        _numbered(phone_number, stand_in),
        events.c.kind == EventKind.OPT_OUT.value,
    ]
    if after is not None:
        after_rank = ranking_time(after.kind, after.event_at)
        conditions += [
            events.c.event_at >= after_rank - RANKING_SLACK,
            or_(ranked_at > after_rank, and_(ranked_at == after_rank, events.c.id > after.id)),
        ]
    earliest = (
        select(events.c.event_at)
        .where(*conditions)
        .order_by(events.c.event_at)
        .limit(1)
        .correlate(None)
        .scalar_subquery()
    )
    row = conn.execute(
        select(events)
        .where(*conditions, events.c.event_at <= earliest + RANKING_SLACK)
        .order_by(ranked_at, events.c.id)
        .limit(1)
    ).first()
    return event_of(row) if row else None


def latest_opt_in(
    conn: Connection, account_id: int, phone_number: str, stand_in: str | None = None
) -> Event | None:
    row = conn.execute(
        select(events)
        .where(
            events.c.account_id == account_id,
            _numbered(phone_number, stand_in),
            events.c.kind == EventKind.OPT_IN.value,
        )
        .order_by(events.c.event_at.desc(), events.c.id.desc())
        .limit(1)
    ).first()
    return event_of(row) if row else None


def history(
    conn: Connection,
    account_id: int,
    phone_number: str,
    *,
    stand_in: str | None = None,
) -> list[Event]:
    """A number's events, every one, newest first by event time (with those kept under
    its erased ``stand_in``, when it has one)."""
    numbers = [phone_number] if stand_in is None else [phone_number, stand_in]
    rows = conn.execute(
        select(events)
        .where(events.c.account_id == account_id, events.c.phone_number.in_(numbers))
        .order_by(events.c.event_at.desc(), events.c.id.desc())
    )
    return [event_of(row) for row in rows]


def event_time(conn: Connection, event_id: int) -> int | None:
    """The event time an event was recorded with."""
    return conn.execute(select(events.c.event_at).where(events.c.id == event_id)).scalar()
