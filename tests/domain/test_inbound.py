"""Receiving messages in the domain: long messages whose parts go missing."""

from __future__ import annotations

from stoplist.domain.accounts import Accounts
from stoplist.domain.inbound import Inbound, InboundMessage, Part, flush_incomplete
from stoplist.domain.stops import StopList
from stoplist.records.events import EventKind


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
