"""Each provider's format end to end, through the real server."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from twilio.request_validator import RequestValidator

from stoplist.domain.accounts import Accounts
from stoplist.domain.inbound_endpoints import InboundEndpoints
from tests.conftest import AccountWithKey


def inbound(account, provider: str) -> str:
    return f"/inbound/{account.account.inbound_token}/{provider}"


def history(http, account, number: str) -> dict:
    answer = http.get(
        "/v1/stop-sms/history", params={"apiKey": account.api_key, "phoneNumber": number}
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def listed(http, account) -> list[dict]:
    return http.get("/v1/stop-sms/list", params={"apiKey": account.api_key}).json()["data"]


def unique_id() -> str:
    return uuid.uuid4().hex


def test_smspartner_short_number_stop_whatever_the_text(http, account):
    answer = http.post(
        inbound(account, "smspartner"),
        json={"type": "stop", "phone_number": "+33612345678", "text": "ok", "message_id": 111},
    )
    assert answer.status_code == 200
    assert answer.json()["type"] == "opt_out"
    assert [e["phoneNumber"] for e in listed(http, account)] == ["+33612345678"]
    event = history(http, account, "0612345678")["data"][0]
    assert event["type"] == "opt_out"
    assert event["source"] == "sms"
    assert event["provider"] == "smspartner"
    assert event["providerMessageId"] == "111"
    assert event["text"] == "ok"


def test_smspartner_short_number_response_is_classified(http, account):
    reply = {"type": "response", "phone_number": "+33612345678", "message_id": "a1"}
    http.post(inbound(account, "smspartner"), json={**reply, "text": "Bus stop at 5?"})
    assert listed(http, account) == []
    http.post(inbound(account, "smspartner"), json={**reply, "text": "stop svp", "message_id": 2})
    assert [e["phoneNumber"] for e in listed(http, account)] == ["+33612345678"]
    types = [e["type"] for e in history(http, account, "+33612345678")["data"]]
    assert sorted(types) == ["opt_out", "reply"]


@pytest.mark.parametrize("encoding", ["json", "form"])
def test_smspartner_long_number(http, account, encoding):
    sent = (datetime.now(UTC) - timedelta(hours=3)).replace(microsecond=0)
    fields = {
        "msisdn": "33612345678",
        "to": "33700000000",
        "messageId": unique_id(),
        "text": "ARRÊT !",
        "type": "text",
        "keyword": "ARRÊT",
        "message-timestamp": sent.strftime("%Y-%m-%d %H:%M:%S"),
    }
    if encoding == "json":
        answer = http.post(inbound(account, "smspartner"), json=fields)
    else:
        answer = http.post(inbound(account, "smspartner"), data=fields)
    assert answer.status_code == 200, answer.text
    entries = listed(http, account)
    assert [e["phoneNumber"] for e in entries] == ["+33612345678"]
    # createdAt is when the person sent the STOP, in the account's zone (Paris).
    local = sent.astimezone(account.account.zone).strftime("%Y-%m-%d %H:%M:%S")
    assert entries[0]["createdAt"] == local
    event = history(http, account, "+33612345678")["data"][0]
    assert event["eventAt"] == local
    assert event["receivedAt"] != local


def test_multipart_message_is_joined_before_it_is_classified(http, account):
    ref = unique_id()[:6]
    base = {"msisdn": "33612345678", "to": "33700000000", "concat": "true", "concat-ref": ref}
    second = {**base, "messageId": "p2", "text": "merci", "concat-total": 2, "concat-part": 2}
    first = {**base, "messageId": "p1", "text": "Stop ", "concat-total": 2, "concat-part": 1}
    answer = http.post(inbound(account, "smspartner"), data=second)
    assert answer.status_code == 200
    assert answer.json()["status"] == "pending"
    assert listed(http, account) == []
    assert history(http, account, "+33612345678")["nbData"] == 0
    answer = http.post(inbound(account, "smspartner"), data=first)
    assert answer.json()["type"] == "opt_out"
    events = history(http, account, "+33612345678")["data"]
    assert [(e["text"], e["providerMessageId"]) for e in events] == [("Stop merci", "p1")]
    # A part delivered again changes nothing.
    http.post(inbound(account, "smspartner"), data=second)
    http.post(inbound(account, "smspartner"), data=first)
    assert history(http, account, "+33612345678")["nbData"] == 1


def test_multipart_sentence_containing_stop_is_a_reply(http, account):
    ref = unique_id()[:6]
    base = {"msisdn": "33612345678", "concat": "true", "concat-ref": ref, "concat-total": "2"}
    http.post(inbound(account, "vonage"), data={**base, "concat-part": "1", "text": "STOP "})
    http.post(
        inbound(account, "vonage"), data={**base, "concat-part": "2", "text": "this bill now"}
    )
    events = history(http, account, "+33612345678")["data"]
    assert [(e["type"], e["text"]) for e in events] == [("reply", "STOP this bill now")]
    assert listed(http, account) == []


def twilio_form(body: str, sid: str | None = None, **extra: str) -> dict[str, str]:
    return {
        "MessageSid": sid or "SM" + unique_id(),
        "AccountSid": "AC" + "0" * 32,
        "From": "+33612345678",
        "To": "+33700000000",
        "Body": body,
        "NumMedia": "0",
        **extra,
    }


def test_twilio_unsigned_when_no_token_is_set(http, account):
    answer = http.post(inbound(account, "twilio"), data=twilio_form("Stop"))
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/xml")
    assert "<Response><Message>" in answer.text  # the opt-out confirmation
    assert [e["phoneNumber"] for e in listed(http, account)] == ["+33612345678"]


def test_twilio_signature_is_checked_when_a_token_is_set(http, account, db, server):
    token = "twilio-auth-" + unique_id()
    InboundEndpoints(db, account.account).require_signatures("twilio", token)
    path = inbound(account, "twilio")
    url = server.base_url + path
    form = twilio_form("Stop", sid="SMsigned")
    signature = RequestValidator(token).compute_signature(url, form)

    forged = RequestValidator("not-the-token").compute_signature(url, form)
    refused = http.post(path, data=form, headers={"X-Twilio-Signature": forged})
    assert refused.status_code == 403
    assert http.post(path, data=form).status_code == 403  # no signature at all
    tampered = {**form, "From": "+33612345679"}
    assert (
        http.post(path, data=tampered, headers={"X-Twilio-Signature": signature}).status_code == 403
    )
    assert listed(http, account) == []
    assert history(http, account, "+33612345678")["nbData"] == 0

    accepted = http.post(path, data=form, headers={"X-Twilio-Signature": signature})
    assert accepted.status_code == 200
    assert "<Response><Message>" in accepted.text
    assert [e["phoneNumber"] for e in listed(http, account)] == ["+33612345678"]


def test_twilio_opt_out_type_wins_over_the_text(http, account):
    http.post(inbound(account, "twilio"), data=twilio_form("Hello there", OptOutType="STOP"))
    assert [e["phoneNumber"] for e in listed(http, account)] == ["+33612345678"]
    http.post(inbound(account, "twilio"), data=twilio_form("whatever", OptOutType="START"))
    assert listed(http, account) == []


@pytest.mark.parametrize("method", ["json", "form", "query"])
def test_vonage(http, account, method):
    fields = {
        "msisdn": "4915112345678",
        "to": "4915100000000",
        "messageId": unique_id(),
        "text": "Stopp, danke",
        "type": "text",
        "message-timestamp": (datetime.now(UTC) - timedelta(minutes=5)).strftime(
            "%Y-%m-%d %H:%M:%S"
        ),
    }
    path = inbound(account, "vonage")
    if method == "json":
        answer = http.post(path, json=fields)
    elif method == "form":
        answer = http.post(path, data=fields)
    else:
        answer = http.get(path, params=fields)
    assert answer.status_code == 200, answer.text
    assert [e["phoneNumber"] for e in listed(http, account)] == ["+4915112345678"]


@pytest.mark.parametrize("sender", ["298211234", "298 211 234", "(298) 211-234"])
@pytest.mark.parametrize("provider", ["vonage", "smspartner"])
def test_a_sender_without_plus_is_international_even_where_it_reads_as_national(
    http, account, provider, sender
):
    """``298211234`` is the Faroe Islands' +298 211234, though on this French account
    ``02 98 21 12 34`` (a Brittany line) would read the same digits as national."""
    answer = http.post(
        inbound(account, provider),
        json={"msisdn": sender, "to": "33700000000", "messageId": unique_id(), "text": "STOP"},
    )
    assert answer.status_code == 200, answer.text
    assert [e["phoneNumber"] for e in listed(http, account)] == ["+298211234"]


@pytest.mark.parametrize(
    ("region", "sender", "expected"),
    [
        ("DE", "4915112345678", "+4915112345678"),  # not the German +494915112345678
        ("DE", "tel:4915112345678", "+4915112345678"),
        ("AT", "4366412345678", "+4366412345678"),
        ("DE", "015112345678", "+4915112345678"),  # national, with its trunk 0
        ("DE", "15109349336", "+4915109349336"),  # its 0 lost: not the US +15109349336
        ("FR", "687844120", "+33687844120"),  # its 0 lost: not New Caledonia's +687844120
        ("US", "2015550123", "+12015550123"),  # NANP forms are written without a prefix
        ("ES", "612345678", "+34612345678"),  # no trunk prefix: national
    ],
)
@pytest.mark.parametrize("provider", ["generic", "smspartner"])
def test_a_plus_less_sender_of_the_accounts_own_country_is_international(
    http, db, request, provider, region, sender, expected
):
    created = Accounts(db).create(
        f"{request.node.name[:150]}-{uuid.uuid4().hex[:8]}", default_region=region
    )
    account = AccountWithKey(created.account, created.api_key)
    body = (
        {"from": sender, "text": "STOP", "id": unique_id()}
        if provider == "generic"
        else {"type": "stop", "phone_number": sender, "text": "STOP", "message_id": unique_id()}
    )
    answer = http.post(inbound(account, provider), json=body)
    assert answer.status_code == 200, answer.text
    assert [e["phoneNumber"] for e in listed(http, account)] == [expected]
    checked = http.get(
        "/v1/stop-sms/check", params={"apiKey": account.api_key, "phoneNumber": expected}
    ).json()
    assert checked["stopped"] is True


def test_generic(http, account):
    sent = datetime.now(UTC) - timedelta(hours=1)
    answer = http.post(
        inbound(account, "generic"),
        json={
            "from": "+33612345678",
            "to": "36180",
            "text": "STOP 36180",
            "id": "g-1",
            "timestamp": sent.isoformat(),
        },
    )
    assert answer.status_code == 200
    assert answer.json()["type"] == "opt_out"
    entry = listed(http, account)[0]
    assert entry["createdAt"] == sent.astimezone(account.account.zone).strftime("%Y-%m-%d %H:%M:%S")


def test_duplicate_delivery_is_recorded_once(http, account):
    message = {"from": "+33612345678", "text": "stop", "id": "dup-1"}
    first = http.post(inbound(account, "generic"), json=message).json()
    second = http.post(inbound(account, "generic"), json=message).json()
    assert first["status"] == "recorded"
    assert second["status"] == "duplicate"
    assert second["eventId"] == first["eventId"]
    assert history(http, account, "+33612345678")["nbData"] == 1


@pytest.mark.parametrize("provider", ["generic", "vonage"])
def test_a_stop_reusing_an_earlier_messages_id_is_a_new_message(http, account, provider):
    """Generic ids are made up by the sender's side, and counters start again: the same
    id with another text is another message. Its redelivery is still a duplicate."""

    def send(text: str) -> dict:
        body = (
            {"from": "+33612345678", "text": text, "id": "1"}
            if provider == "generic"
            else {"msisdn": "33612345678", "to": "33700000000", "messageId": "1", "text": text}
        )
        answer = http.post(inbound(account, provider), json=body)
        assert answer.status_code == 200, answer.text
        return answer.json()

    assert send("hello")["status"] == "recorded"
    stop = send("STOP")
    assert (stop["status"], stop["type"], stop["stopped"]) == ("recorded", "opt_out", True)
    assert [e["phoneNumber"] for e in listed(http, account)] == ["+33612345678"]
    again = send("STOP")
    assert (again["status"], again["eventId"]) == ("duplicate", stop["eventId"])
    assert send("hello")["status"] == "duplicate"
    assert history(http, account, "+33612345678")["nbData"] == 2


def test_a_stop_under_a_reused_id_and_text_after_an_opt_in_is_recorded(http, account):
    """STOP, START, then STOP again under the first message's id (a counter that started
    again) is the person changing their mind twice, not a redelivery of the first STOP."""
    path = inbound(account, "generic")
    number = "+33612345678"

    def send(text: str, message_id: str) -> dict:
        answer = http.post(path, json={"from": number, "text": text, "id": message_id})
        assert answer.status_code == 200, answer.text
        return answer.json()

    send("STOP", "1")
    assert send("START", "2")["stopped"] is False
    again = send("STOP", "1")
    assert (again["status"], again["stopped"]) == ("recorded", True)
    assert send("STOP", "1")["status"] == "duplicate"  # its redelivery
    assert send("stop", "abc")["status"] == "recorded"
    assert send("START", "3")["stopped"] is False
    assert send("stop", "ABC")["status"] == "recorded"  # ids are case-sensitive
    long_id = "x" * 195
    assert send("hello", long_id)["status"] == "recorded"
    assert send("STOP", long_id)["stopped"] is True  # no room for #2 in 200 characters: cut
    assert send("STOP", long_id)["status"] == "duplicate"
    ids = {e["providerMessageId"] for e in history(http, account, number)["data"]}
    assert {"1", "1#2", "abc", "ABC", long_id, "x" * 190 + "#2"} <= ids


def test_out_of_order_delivery_the_latest_event_time_wins(http, account):
    now = datetime.now(UTC)
    path = inbound(account, "generic")

    def send(text: str, hours_ago: float, message_id: str) -> None:
        sent = (now - timedelta(hours=hours_ago)).isoformat()
        answer = http.post(
            path, json={"from": "0612345678", "text": text, "id": message_id, "timestamp": sent}
        )
        assert answer.status_code == 200, answer.text

    send("STOP", 2, "m-stop")
    send("START", 5, "m-start-old")  # sent before the STOP, arrives after it
    assert [e["phoneNumber"] for e in listed(http, account)] == ["+33612345678"]
    events = history(http, account, "+33612345678")["data"]
    assert [e["type"] for e in events] == ["opt_out", "opt_in"]  # newest first by event time

    send("STOP", 30, "m-stop-older")  # an even older STOP moves nothing
    send("START", 1, "m-start-new")
    assert listed(http, account) == []


def test_opt_in_keywords_can_be_switched_off(http, account, db):
    Accounts(db).update_settings(account.account, opt_in_keywords_enabled=False)
    path = inbound(account, "generic")
    http.post(path, json={"from": "+33612345678", "text": "stop", "id": "o-1"})
    answer = http.post(path, json={"from": "+33612345678", "text": "START", "id": "o-2"})
    assert answer.json()["type"] == "reply"
    assert [e["phoneNumber"] for e in listed(http, account)] == ["+33612345678"]
    assert [e["type"] for e in history(http, account, "+33612345678")["data"]] == [
        "reply",
        "opt_out",
    ]


def test_wrong_token_and_unknown_provider_are_404(http, account, other_account):
    message = {"from": "+33612345678", "text": "stop"}
    assert http.post("/inbound/nope/generic", json=message).status_code == 404
    assert http.post(inbound(account, "nosuchprovider"), json=message).status_code == 404
    assert http.post(inbound(other_account, "generic"), json=message).status_code == 200
    assert listed(http, account) == []


def test_rotated_token_stops_the_old_url(http, account, db):
    old = inbound(account, "generic")
    rotated = Accounts(db).rotate_inbound_token(account.account)
    assert http.post(old, json={"from": "+33612345678", "text": "stop"}).status_code == 404
    new = f"/inbound/{rotated.inbound_token}/generic"
    assert http.post(new, json={"from": "+33612345678", "text": "stop"}).status_code == 200


def test_bad_input_is_refused_and_records_nothing(http, account):
    path = inbound(account, "generic")
    assert http.post(path, json={"from": "hello", "text": "stop"}).json()["code"] == 9
    assert http.post(path, json={"text": "stop"}).status_code == 400
    assert http.post(path, content=b"{not json").status_code == 400
    too_big = {"from": "+33612345678", "text": "x" * 100_000}
    assert http.post(path, json=too_big).status_code == 413
    assert listed(http, account) == []


def test_the_token_is_never_logged(http, account, server):
    http.post(inbound(account, "generic"), json={"from": "+33612345678", "text": "stop"})
    assert account.account.inbound_token not in server.logs()


def test_a_stop_dated_to_the_second_outranks_a_start_that_arrived_within_it(http, account):
    """Vonage dates a message to the second. A START recorded at its arrival, a moment
    into that second, then the STOP sent in that same second: the number is stopped."""
    for attempt in range(20):
        number = f"+49151123456{attempt:02d}"
        before = datetime.now(UTC)
        start = http.post(
            inbound(account, "generic"), json={"from": number, "text": "START", "id": unique_id()}
        )
        assert start.status_code == 200, start.text
        if datetime.now(UTC).replace(microsecond=0) == before.replace(microsecond=0):
            break  # the START arrived within the second ``before`` is in
    else:
        pytest.fail("no START was answered within the second it was sent in")
    stop = http.post(
        inbound(account, "vonage"),
        json={
            "msisdn": number.removeprefix("+"),
            "to": "4915100000000",
            "messageId": unique_id(),
            "text": "STOP",
            "type": "text",
            "message-timestamp": before.strftime("%Y-%m-%d %H:%M:%S"),
        },
    )
    assert stop.status_code == 200, stop.text
    assert history(http, account, number)["stopped"] is True
    assert number in [entry["phoneNumber"] for entry in listed(http, account)]
