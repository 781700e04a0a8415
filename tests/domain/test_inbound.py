"""Receiving messages in the domain: long messages whose parts go missing."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from stoplist.domain.accounts import Accounts
from stoplist.domain.inbound import Inbound, InboundMessage, Part, flush_incomplete
from stoplist.domain.stops import StopList
from stoplist.records.events import EventKind
from stoplist.storage.schema import inbound_parts

DAY = 86_400 * 1_000_000


def part(number: int, text: str, ref: str = "r1") -> InboundMessage:
    return InboundMessage(
        provider="vonage",
        sender="33612345678",
        text=text,
        message_id=f"{ref}-{number}",
        part=Part(ref=ref, number=number, total=3),
    )


def test_a_long_message_missing_a_part_is_recorded_as_a_reply(own_db):
    """On a database of its own: the flush counts every account's parts, other tests' too."""
    db = own_db
    account = Accounts(db).create("long-messages")
    inbound = Inbound(db, account.account)
    stops = StopList(db, account.account)
    assert inbound.receive(part(1, "STOP")).pending
    assert inbound.receive(part(3, "merci")).pending
    assert stops.history("+33612345678")[1] == []

    assert flush_incomplete(db, wait=3600 * 1_000_000) == 0  # not quiet long enough
    assert flush_incomplete(db, wait=0) == 1
    assert flush_incomplete(db, wait=0) == 0  # once only
    _, events = stops.history("+33612345678")
    assert [(e.kind, e.text) for e in events] == [(EventKind.REPLY, "STOP[…]merci")]
    assert events[0].details["incomplete"] is True
    assert stops.find("+33612345678") is None

    # The missing part turns up after all: the whole message is read.
    outcome = inbound.receive(part(2, " "))
    assert outcome.kind is EventKind.OPT_OUT
    assert stops.find("+33612345678") is not None


def test_complete_messages_are_never_flushed(own_db):
    db = own_db
    account = Accounts(db).create("long-messages")
    inbound = Inbound(db, account.account)
    for number, text in ((1, "Bus "), (2, "stop "), (3, "at 5?")):
        inbound.receive(part(number, text, ref="r2"))
    assert flush_incomplete(db, wait=0) == 0
    _, events = StopList(db, account.account).history("+33612345678")
    assert [(e.kind, e.text) for e in events] == [(EventKind.REPLY, "Bus stop at 5?")]


def _long(texts: tuple[str, ...], ref: str, ids: str | None) -> list[InboundMessage]:
    return [
        InboundMessage(
            provider="vonage",
            sender="33612345678",
            text=text,
            message_id=None if ids is None else f"{ids}-{number}",
            part=Part(ref=ref, number=number, total=len(texts)),
        )
        for number, text in enumerate(texts, start=1)
    ]


def _kinds(db, account) -> list[tuple[EventKind, str | None]]:
    _, events = StopList(db, account).history("+33612345678")
    return [(event.kind, event.text) for event in reversed(events)]


@pytest.mark.parametrize("ids", [("a", "b"), (None, None)], ids=["with ids", "without ids"])
def test_a_reference_a_phone_uses_again_starts_a_new_message(own_db, ids):
    """Phones number long messages modulo 256: the same reference comes back within days."""
    account = Accounts(own_db).create("long-messages").account
    inbound = Inbound(own_db, account)
    for piece in _long(("Hello, is the sale ", "still on?"), "7", ids[0]):
        inbound.receive(piece)
    for piece in _long(("STOP STOP STOP STOP ", "STOP"), "7", ids[1]):
        outcome = inbound.receive(piece)
    assert outcome.kind is EventKind.OPT_OUT
    assert StopList(own_db, account).find("+33612345678") is not None
    assert _kinds(own_db, account) == [
        (EventKind.REPLY, "Hello, is the sale still on?"),
        (EventKind.OPT_OUT, "STOP STOP STOP STOP STOP"),
    ]
    # Each part delivered again is still recognised: no third event.
    for piece in _long(("STOP STOP STOP STOP ", "STOP"), "7", ids[1]):
        assert inbound.receive(piece).pending
    assert len(_kinds(own_db, account)) == 2


def test_a_message_still_missing_parts_gives_way_and_keeps_its_history(own_db):
    account = Accounts(own_db).create("long-messages").account
    inbound = Inbound(own_db, account)
    first, _second, _third = _long(("Bus ", "stop ", "at 5?"), "9", "old")
    inbound.receive(first)
    for piece in _long(("Stop sending me ", "these"), "9", "new"):
        inbound.receive(piece)
    assert _kinds(own_db, account) == [
        (EventKind.REPLY, "Bus […]"),
        (EventKind.REPLY, "Stop sending me these"),
    ]
    assert flush_incomplete(own_db, wait=0) == 0  # nothing left waiting


def test_a_long_message_without_ids_is_new_after_its_reference_s_parts_are_gone(own_db):
    """Three days on, the parts of the first are purged: the second is not its duplicate."""
    account = Accounts(own_db).create("long-messages").account
    inbound = Inbound(own_db, account)
    stops = StopList(own_db, account)
    for piece in _long(("STOP STOP STOP STOP ", "STOP"), "7", None):
        inbound.receive(piece)
    stops.delete(stops.find("+33612345678").id)  # an agent took it off the list
    with own_db.write() as conn:
        conn.execute(
            update(inbound_parts).values(received_at=inbound_parts.c.received_at - 4 * DAY)
        )
    for piece in _long(("STOP STOP STOP STOP ", "STOP"), "7", None):
        outcome = inbound.receive(piece)
    assert outcome.verdict == "opt_out"
    assert stops.find("+33612345678") is not None
