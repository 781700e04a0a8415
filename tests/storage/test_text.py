"""Free text that PostgreSQL refuses as sent is stored the same way on both databases."""

from __future__ import annotations

import pytest

from stoplist.domain.accounts import Accounts
from stoplist.domain.inbound import AccountKeywords
from stoplist.domain.stops import StopList
from stoplist.records.events import EventKind, NewEvent, Source
from stoplist.storage.text import NUL_REPLACEMENT, storable

UNSTORABLE = "a\u0000b\ud800c"
STORED = f"a{NUL_REPLACEMENT}b\ufffdc"


def test_storable_text():
    assert storable(UNSTORABLE) == STORED
    assert storable("\ud83d\ude00") == "😀"  # a surrogate pair is the character it encodes
    long = storable("x" * 300, 200)
    assert len(long) == 200 and long.startswith("x" * 150)
    assert long != storable("x" * 301, 200)  # distinct values stay distinct
    assert long == storable("x" * 300, 200)  # and one value always fits the same way


def test_reasons_actors_labels_and_keywords(db, account):
    stops = StopList(db, account.account)
    stop = stops.add("+33612345678", source=Source.DASHBOARD, actor=UNSTORABLE, reason=UNSTORABLE)
    _number, events = stops.history(stop.phone_number)
    assert (events[0].actor, events[0].reason) == (STORED, STORED)

    key, _secret = Accounts(db).create_key(account.account, UNSTORABLE)
    assert key.label == STORED

    keywords = AccountKeywords(db, account.account)
    added = keywords.add("plus\u0000de sms", EventKind.OPT_OUT)
    assert added in keywords.overrides()


@pytest.mark.parametrize("field", ["text", "provider_message_id"])
def test_event_text_and_ids(db, account, field):
    stops = StopList(db, account.account)
    values = {"text": "STOP", "provider_message_id": "id-1", field: "x\u0000" * 150}
    new = NewEvent("+33612345678", EventKind.OPT_OUT, Source.SMS, provider="generic", **values)
    first = stops.record(new)
    assert not first.duplicate
    assert stops.record(new).duplicate  # the stored form is found again
    _number, events = stops.history("+33612345678")
    assert "\u0000" not in (getattr(events[0], field) or "")
