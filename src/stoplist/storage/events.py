"""SQL for the events table: the history of every number.

The module is longer than most: recording an event runs several statements
here (its chain link, the redelivery look-up, the reads that decide the
number's entry, each in the ranking's order), built once and kept together
so that the ranking rule is written in SQL in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    Select,
    and_,
    bindparam,
    case,
    func,
    insert,
    or_,
    select,
)

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


_INSERT_EVENT = insert(events)


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
            _INSERT_EVENT,
            dict(
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
            ),
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
    base = _reused_base(provider_message_id)
    rows = conn.execute(
        _MESSAGE_IDS,
        {
            "account": account_id,
            "provider": provider,
            "number": phone_number,
            "message_id": provider_message_id,
            "base": base,
            "base_length": len(base),
        },
    ).all()
    digest = chain.text_digest(text)
    same = next((row for row in rows if _digest(row.text_digest) == digest), None)
    seen = None
    if same is not None and not (changes_state and (same.last_state_id or 0) > same.id):
        seen = event_of(conn.execute(select(events).where(events.c.id == same.id)).one())
    taken = {row.provider_message_id for row in rows}
    return MessageMatch(seen, _free_id(provider_message_id, taken))


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


_MESSAGE_IDS = (
    select(
        events.c.id,
        events.c.provider_message_id,
        events.c.text_digest,
        select(func.max(events.c.id))
        .where(
            events.c.account_id == bindparam("account"),
            events.c.phone_number == bindparam("number"),
            events.c.kind.in_(_STATE_KINDS),
        )
        .correlate(None)
        .scalar_subquery()
        .label("last_state_id"),
    )
    .where(
        events.c.account_id == bindparam("account"),
        events.c.provider == bindparam("provider"),
        events.c.phone_number == bindparam("number"),
        or_(
            events.c.provider_message_id == bindparam("message_id"),
            func.substr(events.c.provider_message_id, 1, bindparam("base_length"))
            == bindparam("base"),
        ),
    )
    .order_by(events.c.id.desc())
)
"""A sender's events under a message id or its reused forms (``id#n``), newest first, with
the id of the number's last recorded opt-out or opt-in (one look-up, however many forms: a
counter that starts again can reuse an id thousands of times).

Compared with ``substr`` rather than ``LIKE``: SQLite's ``LIKE`` ignores the
case of ASCII letters, and ids are case-sensitive. The statements of this
module that every recorded event runs are built once: building and keying
them anew took more of an event's time than the database did.
"""

_RANKED_AT = case(
    (
        and_(
            events.c.kind == EventKind.OPT_OUT.value,
            events.c.event_at % (RANKING_SLACK + 1) == 0,
            events.c.event_at + RANKING_SLACK < events.c.received_at,
        ),
        events.c.event_at + RANKING_SLACK,
    ),
    (
        and_(
            events.c.kind == EventKind.OPT_OUT.value, events.c.event_at % (RANKING_SLACK + 1) == 0
        ),
        events.c.received_at,
    ),
    else_=events.c.event_at,
)
"""``records.events.ranking_time`` in SQL: a whole-second opt-out ranks at its second's end,
or at its arrival if that came first."""


@dataclass(frozen=True, slots=True)
class _StateReads:
    """The statements that decide a number's entry, for one way of naming its events."""

    latest_state: Select[Any]
    first_opt_out: Select[Any]
    first_opt_out_after: Select[Any]
    latest_opt_in: Select[Any]


def _state_reads(numbered: ColumnElement[bool], at: ColumnElement[int]) -> _StateReads:
    """``_StateReads`` of the events ``numbered`` picks in the account ``:account``, sorted
    by ``at``, their event time as a column or as an expression."""
    of_number = (events.c.account_id == bindparam("account"), numbered)
    state = (*of_number, events.c.kind.in_(_STATE_KINDS))
    newest = select(events.c.event_at).where(*state).order_by(at.desc()).limit(1)
    opt_outs = (*of_number, events.c.kind == EventKind.OPT_OUT.value)
    after = (
        events.c.event_at >= bindparam("after_rank") - RANKING_SLACK,
        or_(
            bindparam("after_rank") < _RANKED_AT,
            and_(bindparam("after_rank") == _RANKED_AT, events.c.id > bindparam("after_id")),
        ),
    )
    return _StateReads(
        latest_state=select(events)
        .where(*state, events.c.event_at >= _scalar(newest) - RANKING_SLACK)
        .order_by(_RANKED_AT.desc(), events.c.id.desc())
        .limit(1),
        first_opt_out=_first_ranked(at, *opt_outs),
        first_opt_out_after=_first_ranked(at, *opt_outs, *after),
        latest_opt_in=select(events)
        .where(*of_number, events.c.kind == EventKind.OPT_IN.value)
        .order_by(at.desc(), events.c.id.desc())
        .limit(1),
    )


def _first_ranked(at: ColumnElement[int], *conditions: ColumnElement[bool]) -> Select[Any]:
    """The earliest-ranked event meeting ``conditions``: an event ranks at most a second
    after its event time, so it is within a second of the earliest event time among
    them, and only those are sorted."""
    earliest = select(events.c.event_at).where(*conditions).order_by(at)
    return (
        select(events)
        .where(*conditions, events.c.event_at <= _scalar(earliest.limit(1)) + RANKING_SLACK)
        .order_by(_RANKED_AT, events.c.id)
        .limit(1)
    )


def _scalar(query: Select[Any]) -> ColumnElement[Any]:
    """``query`` as a value inside another statement on ``events``, not correlated to it."""
    return query.correlate(None).scalar_subquery()


_OWN_EVENTS = _state_reads(events.c.phone_number == bindparam("number"), events.c.event_at)
"""A number's events, in ``ix_events_number``'s order (the latest is its last entry)."""
_WITH_STAND_IN = _state_reads(
    events.c.phone_number.in_([bindparam("number"), bindparam("stand_in")]),
    events.c.event_at + 0,
)
"""A number's events and its erased stand-in's, once that erasure was lifted.

Sorted by ``event_at + 0``, which no index holds: by the column itself
SQLite (without statistics unless ANALYZE ran) takes two numbers' events in
time order from the account's time index, walking its whole history for the
one row wanted (a second per event recorded in an account of a million
events) rather than the two numbers' few events through ``ix_events_number``.
"""


def _reads(stand_in: str | None) -> _StateReads:
    return _OWN_EVENTS if stand_in is None else _WITH_STAND_IN


def _event(conn: Connection, statement: Select[Any], params: dict[str, Any]) -> Event | None:
    row = conn.execute(statement, params).first()
    return event_of(row) if row else None


def latest_state_event(
    conn: Connection, account_id: int, phone_number: str, stand_in: str | None = None
) -> Event | None:
    """The opt-out or opt-in that ranks latest (``records.events.ranking_time``; ties: the
    later recorded).

    Only events within a second of the latest event time can rank above it,
    so the number's index finds them however long its history.
    """
    numbered = {"account": account_id, "number": phone_number, "stand_in": stand_in}
    return _event(conn, _reads(stand_in).latest_state, numbered)


def first_opt_out_after(
    conn: Connection,
    account_id: int,
    phone_number: str,
    after: Event | None,
    stand_in: str | None = None,
) -> Event | None:
    """The earliest opt-out ranked after ``after`` (or ever, when ``after`` is None), by
    ``records.events.ranking_time``; ties: the later recorded."""
    numbered = {"account": account_id, "number": phone_number, "stand_in": stand_in}
    if after is None:
        return _event(conn, _reads(stand_in).first_opt_out, numbered)
    after_rank = ranking_time(after.kind, after.event_at, after.received_at)
    return _event(
        conn,
        _reads(stand_in).first_opt_out_after,
        {**numbered, "after_rank": after_rank, "after_id": after.id},
    )


def latest_opt_in(
    conn: Connection, account_id: int, phone_number: str, stand_in: str | None = None
) -> Event | None:
    numbered = {"account": account_id, "number": phone_number, "stand_in": stand_in}
    return _event(conn, _reads(stand_in).latest_opt_in, numbered)


def history(
    conn: Connection,
    account_id: int,
    phone_number: str,
    *,
    stand_in: str | None = None,
) -> list[Event]:
    """A number's events, every one, newest first as they rank (``records.events.ranking_time``:
    the first one is what decides the entry), with those kept under its erased ``stand_in``,
    when it has one."""
    numbers = [phone_number] if stand_in is None else [phone_number, stand_in]
    rows = conn.execute(
        select(events)
        .where(events.c.account_id == account_id, events.c.phone_number.in_(numbers))
        .order_by(_RANKED_AT.desc(), events.c.id.desc())
    )
    return [event_of(row) for row in rows]


def event_time(conn: Connection, event_id: int) -> int | None:
    """The event time an event was recorded with."""
    return conn.execute(select(events.c.event_at).where(events.c.id == event_id)).scalar()
