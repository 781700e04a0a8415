"""Whatever a provider's request carries, a STOP is recorded and the account keeps working.

Through the real server, on SQLite and PostgreSQL: times no clock could
show, NUL characters (GSM-7's ``@`` is byte 0), lone surrogates and bytes
that are not UTF-8, ids longer than any column, and ids that two senders
share.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from stoplist.storage.text import NUL_REPLACEMENT

NUMBER = "+33612345678"


def inbound(account, provider: str) -> str:
    return f"/inbound/{account.account.inbound_token}/{provider}"


def unique_id() -> str:
    return uuid.uuid4().hex


def history(http, account, number: str = NUMBER) -> dict:
    answer = http.get(
        "/v1/stop-sms/history", params={"apiKey": account.api_key, "phoneNumber": number}
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def assert_account_works(http, account, *numbers: str) -> None:
    """list, export, check and history all answer in full, and show the numbers stopped."""
    key = {"apiKey": account.api_key}
    listed = http.get("/v1/stop-sms/list", params=key)
    assert listed.status_code == 200
    assert sorted(entry["phoneNumber"] for entry in orjson.loads(listed.content)["data"]) == sorted(
        numbers
    )
    exported = http.get("/v1/stop-sms/export", params={**key, "format": "csv"})
    assert exported.status_code == 200
    for number in numbers:
        assert number in exported.text
        checked = http.get("/v1/stop-sms/check", params={**key, "phoneNumber": number})
        assert checked.status_code == 200 and checked.json()["stopped"] is True
        assert history(http, account, number)["stopped"] is True


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


NOW = datetime.now(UTC)
UNTRUSTED_TIMES = [
    -9000000000000,
    -1e300,
    1e300,
    10**30,
    "9999-12-31T23:59:59Z",
    "0001-01-01T00:00:00+14:00",
    "yesterday-ish",
    "١٧٠٠٠٠٠٠٠٠",
    _iso(NOW - timedelta(hours=72)),
    _iso(NOW + timedelta(hours=2)),
]

UNTRUSTED_IDS = [
    "-9e12", "-1e300", "1e300", "1e30", "year-9999", "year-1", "words", "arabic-digits",
    "72h-ago", "2h-ahead",
]  # fmt: skip

# (provider, the fields of a STOP but its time, the name of its time field)
TIME_FIELDS = [
    ("generic", {"from": NUMBER, "text": "STOP"}, "timestamp"),
    ("smspartner", {"type": "stop", "phone_number": NUMBER, "text": "Stop"}, "date"),
    ("smspartner", {"msisdn": "33612345678", "to": "36180", "text": "STOP"}, "message-timestamp"),
    ("vonage", {"msisdn": "33612345678", "to": "33700000000", "text": "STOP"}, "message-timestamp"),
    ("vonage", {"from": "33612345678", "to": "33700000000", "text": "STOP"}, "timestamp"),
]


def _json_body(fields: dict) -> bytes:
    # orjson cannot write an integer past 64 bits; the standard library can.
    return json.dumps(fields).encode()


@pytest.mark.parametrize("value", UNTRUSTED_TIMES, ids=UNTRUSTED_IDS)
def test_an_unbelievable_provider_time_is_kept_raw_and_the_stop_recorded_on_arrival(
    http, account, value
):
    answer = http.post(
        inbound(account, "generic"),
        content=_json_body({"from": NUMBER, "text": "STOP", "id": unique_id(), "timestamp": value}),
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["stopped"] is True
    event = history(http, account)["data"][0]
    assert event["eventAt"] == event["receivedAt"]
    as_read = orjson.loads(_json_body({"value": value}))["value"]  # 10**30 is read as 1e+30
    assert event["providerTime"] == str(as_read)
    assert_account_works(http, account, NUMBER)


@pytest.mark.parametrize(("provider", "fields", "field"), TIME_FIELDS, ids=lambda v: str(v)[:20])
def test_every_provider_distrusts_times_outside_the_lateness_window(
    http, account, provider, fields, field
):
    id_field = "message_uuid" if provider == "vonage" and "from" in fields else "messageId"
    for value in (-9000000000000, _iso(NOW - timedelta(days=3)), "9999-12-31 23:59:59"):
        body = {**fields, id_field: unique_id(), "message_id": unique_id(), field: value}
        answer = http.post(inbound(account, provider), json=body)
        assert answer.status_code == 200, answer.text
        event = history(http, account)["data"][0]
        assert event["eventAt"] == event["receivedAt"]
        assert event["providerTime"] == str(value)
    assert_account_works(http, account, NUMBER)


def test_a_provider_time_within_the_window_still_dates_the_stop(http, account):
    sent = (datetime.now(UTC) - timedelta(hours=40)).replace(microsecond=0)
    http.post(
        inbound(account, "generic"),
        json={"from": NUMBER, "text": "STOP", "timestamp": _iso(sent)},
    )
    event = history(http, account)["data"][0]
    local = sent.astimezone(account.account.zone).strftime("%Y-%m-%d %H:%M:%S")
    assert event["eventAt"] == local != event["receivedAt"]
    assert event["providerTime"] is None  # believed, so it is the event time


@pytest.mark.parametrize(
    "message",
    [
        {"from": NUMBER, "text": "STOP\u0000", "id": "nul\u0000id"},
        {"from": NUMBER, "text": "\u0000STOP", "id": unique_id(), "to": "36\u000080"},
        {"from": NUMBER, "text": "STOP", "id": "x" * 5000},
    ],
    ids=["nul-in-text-and-id", "nul-in-text-and-recipient", "id-longer-than-its-column"],
)
def test_text_postgresql_cannot_store_as_sent_is_stored_all_the_same(http, account, message):
    first = http.post(inbound(account, "generic"), json=message)
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "recorded" and first.json()["stopped"] is True
    again = http.post(inbound(account, "generic"), json=message)
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    event = history(http, account)["data"][0]
    assert event["text"] == message["text"].replace("\u0000", NUL_REPLACEMENT)
    assert history(http, account)["nbData"] == 1
    assert_account_works(http, account, NUMBER)


@pytest.mark.parametrize(
    ("provider", "body", "content_type"),
    [
        ("generic", b'{"from": "+33612345678", "text": "STOP \\ud800"}', "application/json"),
        ("generic", b'{"from": "+33612345678", "text": "STOP \xff\xfe"}', "application/json"),
        ("generic", b'{"from": "+33612345678", "text": "STOP", "to": "\xc3"}', "application/json"),
        ("twilio", b"From=%2B33612345678&Body=STOP%00%FF&MessageSid=SMx%00", None),
        ("twilio", b"From=%2B33612345678&Body=STOP\xff&MessageSid=SM\xc3", None),
        ("vonage", b"msisdn=33612345678&to=3370&text=Stop%ED%A0%80", None),
        (
            "smspartner",
            b'{"type":"stop","phone_number":"+33612345678","text":"\xed\xa0\x80"}',
            None,
        ),
    ],
    ids=[
        "lone-surrogate-escape",
        "invalid-utf8-json",
        "cut-character",
        "twilio-form",
        "twilio-raw-bytes",
        "vonage",
        "smspartner",
    ],
)
def test_bodies_that_are_not_clean_utf8_still_stop_the_number(
    http, account, provider, body, content_type
):
    headers = {"Content-Type": content_type or "application/x-www-form-urlencoded"}
    answer = http.post(inbound(account, provider), content=body, headers=headers)
    assert answer.status_code == 200, answer.text
    assert_account_works(http, account, NUMBER)


def test_vonage_get_with_nul_and_bad_bytes_in_the_query(http, account):
    path = inbound(account, "vonage")
    answer = http.get(f"{path}?msisdn=33612345678&to=3370&text=STOP%00%FF&messageId=a%00b")
    assert answer.status_code == 200, answer.text
    assert_account_works(http, account, NUMBER)


def test_long_message_parts_with_a_reference_longer_than_its_column(http, account):
    ref = "r" * 500
    for number, text in ((1, "ST"), (2, "OP")):
        answer = http.post(
            inbound(account, "vonage"),
            json={
                "msisdn": "33612345678",
                "to": "3370",
                "text": text,
                "messageId": f"part-{number}-{ref}",
                "concat": "true",
                "concat-ref": ref,
                "concat-total": "2",
                "concat-part": str(number),
            },
        )
        assert answer.status_code == 200, answer.text
    assert answer.json()["stopped"] is True
    assert_account_works(http, account, NUMBER)


def test_two_senders_with_the_same_message_id_are_two_messages(http, account):
    shared = "msg-1"
    other = "+33698765432"
    first = http.post(
        inbound(account, "generic"), json={"from": NUMBER, "text": "STOP", "id": shared}
    )
    second = http.post(
        inbound(account, "generic"), json={"from": other, "text": "STOP", "id": shared}
    )
    assert first.json()["status"] == "recorded"
    assert second.json()["status"] == "recorded"
    assert first.json()["eventId"] != second.json()["eventId"]
    again = http.post(
        inbound(account, "generic"), json={"from": other, "text": "STOP", "id": shared}
    )
    assert again.json()["status"] == "duplicate"
    assert_account_works(http, account, NUMBER, other)


@pytest.mark.parametrize(("provider", "fields", "field"), TIME_FIELDS, ids=lambda v: str(v)[:20])
def test_a_time_of_thousands_of_digits_is_not_believed_and_the_stop_recorded(
    http, account, provider, fields, field
):
    # Past 4,300 digits Python's int() refuses to read a number at all.
    id_field = "message_uuid" if provider == "vonage" and "from" in fields else "messageId"
    body = {**fields, id_field: unique_id(), "message_id": unique_id(), field: "9" * 5000}
    for sent in ({"json": body}, {"data": body}):
        answer = http.post(inbound(account, provider), **sent)
        assert answer.status_code == 200, answer.text
        assert history(http, account)["stopped"] is True
        event = history(http, account)["data"][0]
        assert event["eventAt"] == event["receivedAt"]
        assert event["providerTime"].startswith("9999")
    assert_account_works(http, account, NUMBER)


BLANK_ID_FIELDS = [
    ("generic", {"from": NUMBER}, "id"),
    ("smspartner", {"type": "response", "phone_number": NUMBER}, "message_id"),
    ("smspartner", {"msisdn": "33612345678", "to": "36180"}, "messageId"),
    ("vonage", {"msisdn": "33612345678", "to": "33700000000"}, "messageId"),
]


@pytest.mark.parametrize("blank", ["", " "], ids=["empty", "space"])
@pytest.mark.parametrize(
    ("provider", "fields", "field"), BLANK_ID_FIELDS, ids=lambda v: str(v)[:20]
)
def test_a_blank_message_id_names_no_message(http, account, provider, fields, field, blank):
    """Every message with a blank id is its own: the STOP after a reply is recorded."""
    for text in ("Bonjour", "STOP"):
        answer = http.post(inbound(account, provider), json={**fields, "text": text, field: blank})
        assert answer.status_code == 200, answer.text
    stopped = history(http, account)
    assert stopped["stopped"] is True
    assert [event.get("providerMessageId") for event in stopped["data"]] == [None, None]


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/x-www-form-urlencoded; charset=iso-8859-1", b"text=ARR%CAT"),
        ("application/x-www-form-urlencoded; charset=windows-1252", b"text=ARR\xcaT"),
        ("application/json; charset=ISO-8859-1", b'{"text": "D\xc9SABONNER"}'),
        ("application/json; charset=us-ascii", '{"text": "ARRÊT"}'.encode()),
        ("application/json; charset=iso-8859-1", '{"text": "ARRÊT"}'.encode()),
        ("application/x-www-form-urlencoded; charset=latin1", b"text=ARR%C3%8AT"),
        *[
            (f"application/x-www-form-urlencoded; charset={odd}", b"text=ARR%C3%8AT")
            for odd in ("punycode", "utf-7", "undefined", "idna", "utf-16", "cp037", "x")
        ],
    ],
    ids=[
        "percent-encoded",
        "raw bytes",
        "json",
        "utf-8 declared as ascii",
        "utf-8 declared as latin-1",
        "utf-8 escapes declared as latin-1",
        "punycode",
        "utf-7",
        "undefined",
        "idna",
        "utf-16",
        "ebcdic",
        "unknown",
    ],
)
def test_a_body_in_its_declared_latin_1_charset_is_read_in_it(http, account, content_type, body):
    """Read as UTF-8, ARRÊT would lose its Ê and no longer be a STOP. UTF-8 stays UTF-8
    whatever is declared, and a charset no gateway uses is not trusted."""
    sender = b"from=%2B33612345678&" if body.startswith(b"text") else b""
    if body.startswith(b"{"):
        body = b'{"from": "+33612345678", ' + body[1:]
    answer = http.post(
        inbound(account, "generic"), content=sender + body, headers={"Content-Type": content_type}
    )
    assert answer.status_code == 200, answer.text
    assert history(http, account)["stopped"] is True
