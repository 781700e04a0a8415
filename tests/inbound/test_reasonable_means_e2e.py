"""The labelled corpus through every provider's endpoint of the real server, in each mode.

Every message comes from a number of its own, and the messages take turns
over the four providers, so each provider carries a quarter of the corpus
(all of it in ``review`` mode, a sample in the others). Afterwards the stop
list and the review queue must hold exactly the numbers the labels say.
"""

from __future__ import annotations

import uuid

import httpx
import pytest

from stoplist.domain.accounts import Accounts
from stoplist.domain.keywords import classify
from stoplist.records.events import EventKind
from tests.reasonable_corpus import Labelled, everything

PROVIDERS = ("twilio", "vonage", "smspartner", "generic")
SAMPLE_EVERY = {"review": 1, "optout": 3, "off": 5}


def _number(index: int) -> str:
    return f"+3361{index:07d}"


def _post(http: httpx.Client, token: str, provider: str, number: str, text: str) -> httpx.Response:
    path = f"/inbound/{token}/{provider}"
    message_id = uuid.uuid4().hex
    if provider == "twilio":
        form = {"From": number, "To": "+15005550006", "Body": text, "MessageSid": "SM" + message_id}
        return http.post(path, data=form)
    if provider == "vonage":
        fields = {"msisdn": number.lstrip("+"), "to": "33700000000", "text": text}
        return http.post(path, data={**fields, "messageId": message_id})
    if provider == "smspartner":
        fields = {"type": "response", "phone_number": number, "text": text}
        return http.post(path, json={**fields, "message_id": message_id})
    return http.post(path, json={"from": number, "text": text, "id": message_id})


def _expected(message: Labelled, mode: str) -> str:
    """The answer's ``type``: keywords decide first, then the account's mode for requests."""
    kind = classify(message.text).kind
    if kind is not EventKind.REPLY:
        return kind.value
    if not message.stop or mode == "off":
        return "reply"
    return "opt_out" if mode == "optout" else "review"


@pytest.mark.parametrize("mode", ["review", "optout", "off"])
def test_corpus_through_every_provider(http, db, account, mode):
    if mode != "review":
        Accounts(db).update_settings(account.account, reasonable_means=mode)
    token = account.account.inbound_token
    corpus = everything()[:: SAMPLE_EVERY[mode]]
    expected_stops, expected_queue, by_provider = set(), set(), dict.fromkeys(PROVIDERS, 0)
    for index, message in enumerate(corpus):
        provider = PROVIDERS[index % len(PROVIDERS)]
        number = _number(index)
        answer = _post(http, token, provider, number, message.text)
        assert answer.status_code == 200, (provider, message.text, answer.text)
        expected = _expected(message, mode)
        if provider == "twilio":
            confirmed = expected in ("opt_out", "opt_in", "help")  # a review confirms nothing
            assert ("<Message>" in answer.text) is confirmed, answer.text
        else:
            assert answer.json()["type"] == expected, (provider, message.text)
            assert answer.json()["stopped"] is (expected == "opt_out")
        if expected == "opt_out":
            expected_stops.add(number)
        elif expected == "review":
            expected_queue.add(number)
        by_provider[provider] += 1
    assert min(by_provider.values()) >= len(corpus) // 4
    key = {"apiKey": account.api_key}
    stops = http.get("/v1/stop-sms/list", params=key).json()["data"]
    assert {entry["phoneNumber"] for entry in stops} == expected_stops
    queue = http.get("/v1/review/list", params={**key, "limit": 1000}).json()
    assert {item["phoneNumber"] for item in queue["data"]} == expected_queue
    assert queue["pending"] == len(expected_queue)
    if mode == "review":
        assert len(expected_queue) > 300
    if mode == "optout":
        asked = next(m for m in corpus if _expected(m, mode) == "opt_out" and m.stop)
        number = _number(corpus.index(asked))
        history = http.get("/v1/stop-sms/history", params={**key, "phoneNumber": number}).json()
        event = history["data"][0]
        assert event["type"] == "opt_out" and event["source"] == "sms"
        assert event["text"] == asked.text
        if classify(asked.text).kind is EventKind.REPLY:
            assert event["actor"] == "stoplist (reasonable means)"
            assert event["reason"].startswith("asked to stop in other words")


def test_a_queued_message_delivered_again_is_queued_once(http, account):
    token = account.account.inbound_token
    body = {"from": "+33612345678", "text": "please stop texting me", "id": "same-id"}
    first = http.post(f"/inbound/{token}/generic", json=body).json()
    again = http.post(f"/inbound/{token}/generic", json=body).json()
    assert first["type"] == again["type"] == "review"
    assert again["status"] == "duplicate" and again["eventId"] == first["eventId"]
    queue = http.get("/v1/review/list", params={"apiKey": account.api_key}).json()
    assert queue["nbData"] == 1


def test_provider_decisions_and_keywords_never_go_to_review(http, account):
    token = account.account.inbound_token
    forced = {"type": "stop", "phone_number": "+33612345678", "text": "please stop texting me"}
    assert http.post(f"/inbound/{token}/smspartner", json=forced).json()["type"] == "opt_out"
    keyword = {"from": "+33612345679", "text": "STOP"}
    assert http.post(f"/inbound/{token}/generic", json=keyword).json()["type"] == "opt_out"
    queue = http.get("/v1/review/list", params={"apiKey": account.api_key}).json()
    assert queue["nbData"] == 0
