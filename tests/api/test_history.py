"""``/v1/stop-sms/history``: a number's events, newest first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

from stoplist.domain.stops import StopList
from stoplist.records.events import EventKind, NewEvent, Source


def test_history_of_api_and_sms_events(http, account):
    key = {"apiKey": account.api_key}
    stop_id = http.post("/v1/stop-sms/add", json={**key, "phoneNumber": "0612345678"}).json()[
        "stopId"
    ]
    http.post("/v1/stop-sms/delete", json={**key, "id": stop_id})
    inbound = f"/inbound/{account.account.inbound_token}/generic"
    # A STOP sent an hour before the API removal, reported late, does not undo it.
    sent = datetime.now(UTC) - timedelta(hours=1)
    late = {"from": "+33612345678", "text": "stop", "id": "h-0", "timestamp": sent.isoformat()}
    http.post(inbound, json=late)
    assert http.get("/v1/stop-sms/list", params=key).json()["data"] == []
    http.post(inbound, json={"from": "+33612345678", "text": "Stop!", "id": "h-1"})
    answer = http.get("/v1/stop-sms/history", params={**key, "phoneNumber": "06 12 34 56 78"})
    assert answer.status_code == 200
    body = answer.json()
    assert list(body) == [
        "success", "code", "phoneNumber", "stopped", "stopId", "nbData", "data",
    ]  # fmt: skip
    assert body["phoneNumber"] == "+33612345678"
    assert body["stopped"] is True
    assert body["nbData"] == 4
    newest = body["data"][0]
    assert list(newest) == [
        "id", "type", "source", "provider", "providerMessageId", "text", "eventAt",
        "receivedAt", "actor", "reason", "providerTime",
    ]  # fmt: skip
    assert (newest["type"], newest["source"], newest["provider"]) == ("opt_out", "sms", "generic")
    assert (newest["providerMessageId"], newest["text"]) == ("h-1", "Stop!")
    assert [(e["type"], e["source"]) for e in body["data"][1:]] == [
        ("opt_in", "api"),
        ("opt_out", "api"),
        ("opt_out", "sms"),
    ]
    listed = http.get("/v1/stop-sms/list", params=key).json()["data"]
    assert body["stopId"] == listed[0]["id"]


def test_history_holds_every_event_of_a_busy_number(http, db, account):
    """A person who has written 1,200 replies since their STOP: the STOP is still shown."""
    stop_list = StopList(db, account.account)
    stop_list.add("+33612345678")
    with db.write() as conn:
        for n in range(1_200):
            reply = NewEvent("+33612345678", EventKind.REPLY, Source.SMS, text=f"merci {n}")
            stop_list.record_in(conn, reply)
    body = http.get(
        "/v1/stop-sms/history", params={"apiKey": account.api_key, "phoneNumber": "0612345678"}
    ).json()
    assert body["nbData"] == len(body["data"]) == 1_201
    assert body["data"][-1]["type"] == "opt_out" and body["stopped"] is True


def test_history_of_a_number_never_seen(http, account):
    body = http.post(
        "/v1/stop-sms/history", json={"apiKey": account.api_key, "phoneNumber": "+33612345670"}
    ).json()
    assert body == {
        "success": True,
        "code": 200,
        "phoneNumber": "+33612345670",
        "stopped": False,
        "nbData": 0,
        "data": [],
    }


def test_history_in_xml(http, account):
    http.post("/v1/stop-sms/add", json={"apiKey": account.api_key, "phoneNumber": "0612345678"})
    answer = http.get(
        "/v1/stop-sms/history",
        params={"apiKey": account.api_key, "phoneNumber": "0612345678", "_format": "xml"},
    )
    assert answer.headers["content-type"] == "application/xml; charset=UTF-8"
    root = ElementTree.fromstring(answer.content)
    entries = list(root)
    assert [e.text for e in entries[:4]] == ["true", "200", "+33612345678", "true"]
    assert entries[5].text == "1"
    event = entries[6][0]
    assert [e.text for e in event][1:3] == ["opt_out", "api"]


def test_history_is_scoped_to_the_account(http, account, other_account):
    http.post("/v1/stop-sms/add", json={"apiKey": account.api_key, "phoneNumber": "0612345678"})
    body = http.get(
        "/v1/stop-sms/history",
        params={"apiKey": other_account.api_key, "phoneNumber": "0612345678"},
    ).json()
    assert (body["stopped"], body["nbData"]) == (False, 0)


def test_history_errors(http, account):
    assert (
        http.get("/v1/stop-sms/history", params={"phoneNumber": "0612345678"}).json()["code"] == 1
    )
    missing = http.get("/v1/stop-sms/history", params={"apiKey": account.api_key})
    assert (missing.status_code, missing.json()["code"]) == (400, 2)
    invalid = http.get(
        "/v1/stop-sms/history", params={"apiKey": account.api_key, "phoneNumber": "12"}
    )
    assert (invalid.status_code, invalid.json()["code"]) == (400, 9)
