"""``/v1/review/...`` on the real server: listing, confirming, dismissing possible opt-outs."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from stoplist.domain import clock
from stoplist.storage.schema import review_items


def _queue(http, account, number: str, text: str, sent: datetime | None = None) -> dict:
    body: dict[str, str] = {"from": number, "text": text}
    if sent is not None:
        body["timestamp"] = sent.isoformat()
    answer = http.post(f"/inbound/{account.account.inbound_token}/generic", json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["type"] == "review"
    return answer.json()


def _pending(http, account, **params) -> dict:
    answer = http.get("/v1/review/list", params={"apiKey": account.api_key, **params})
    assert answer.status_code == 200, answer.text
    return answer.json()


def _history(http, account, number: str) -> list[dict]:
    params = {"apiKey": account.api_key, "phoneNumber": number}
    return http.get("/v1/stop-sms/history", params=params).json()["data"]


def test_confirming_stops_the_number_as_of_the_message(http, account):
    sent = (datetime.now(UTC) - timedelta(hours=5)).replace(microsecond=0)
    _queue(http, account, "+33612345678", "ne m'envoyez plus de SMS svp", sent)
    listed = _pending(http, account)
    assert listed["pending"] == 1 and listed["overdue"] == 0
    item = listed["data"][0]
    assert item["phoneNumber"] == "+33612345678" and item["status"] == "pending"
    assert item["language"] == "fr" and item["text"] == "ne m'envoyez plus de SMS svp"
    assert item["overdue"] is False

    answer = http.post(
        "/v1/review/confirm",
        json={"apiKey": account.api_key, "id": item["id"], "actor": "Claire", "reason": "clear"},
    )
    assert answer.status_code == 200, answer.text
    decided = answer.json()
    assert decided["status"] == "confirmed" and decided["decidedBy"] == "Claire"
    stops = http.get("/v1/stop-sms/list", params={"apiKey": account.api_key}).json()["data"]
    assert [entry["phoneNumber"] for entry in stops] == ["+33612345678"]
    events = _history(http, account, "+33612345678")
    opt_out = next(event for event in events if event["type"] == "opt_out")
    reply = next(event for event in events if event["type"] == "reply")
    assert opt_out["eventAt"] == reply["eventAt"] == item["messageAt"]
    assert opt_out["source"] == "api" and opt_out["actor"] == "Claire"
    assert opt_out["reason"] == "clear" and opt_out["text"] == item["text"]
    assert opt_out["id"] == decided["decisionEventId"]
    assert _pending(http, account)["pending"] == 0

    again = http.post("/v1/review/dismiss", json={"apiKey": account.api_key, "id": item["id"]})
    assert again.status_code == 409
    assert again.json()["code"] == 96 and again.json()["status"] == "confirmed"


def test_dismissing_keeps_a_reply_and_says_who_and_why(http, account):
    _queue(http, account, "+33612345679", "leave me alone")
    item = _pending(http, account)["data"][0]
    answer = http.post(
        "/v1/review/dismiss",
        data={"apiKey": account.api_key, "id": str(item["id"]), "reason": "a joke between us"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "dismissed" and answer.json()["decidedBy"] == "api"
    assert http.get("/v1/stop-sms/list", params={"apiKey": account.api_key}).json()["data"] == []
    kinds = [
        (e["type"], e["actor"], e["reason"]) for e in _history(http, account, item["phoneNumber"])
    ]
    assert ("dismissed", "api", "a joke between us") in kinds
    every = _pending(http, account, status="all")["data"]
    assert [entry["status"] for entry in every] == ["dismissed"]
    assert _pending(http, account, status="dismissed")["nbData"] == 1
    assert _pending(http, account, status="confirmed")["nbData"] == 0


def test_bad_requests_get_clear_codes(http, account, other_account):
    _queue(http, account, "+33612345670", "please stop texting me")
    item = _pending(http, account)["data"][0]
    key = account.api_key
    bad_status = http.get("/v1/review/list", params={"apiKey": key, "status": "maybe"})
    assert bad_status.status_code == 400 and bad_status.json()["code"] == 91
    bad_limit = http.get("/v1/review/list", params={"apiKey": key, "limit": "0"})
    assert bad_limit.json()["code"] == 91
    missing = http.post("/v1/review/confirm", json={"apiKey": key})
    assert missing.status_code == 400 and missing.json()["code"] == 91
    for unknown in (999_999_999, "abc", -1, "9" * 5000, True):
        answer = http.post("/v1/review/confirm", json={"apiKey": key, "id": unknown})
        assert answer.status_code == 404 and answer.json()["code"] == 95, unknown
    long_reason = http.post(
        "/v1/review/confirm", json={"apiKey": key, "id": item["id"], "reason": "x" * 1001}
    )
    assert long_reason.status_code == 400 and long_reason.json()["code"] == 91
    assert http.post("/v1/review/confirm", json={"id": item["id"]}).status_code == 401
    assert http.get("/v1/review/confirm", params={"apiKey": key}).status_code == 405

    # Another account neither sees nor decides this account's items.
    theirs = {"apiKey": other_account.api_key, "id": item["id"]}
    assert http.post("/v1/review/confirm", json=theirs).json()["code"] == 95
    assert _pending(http, other_account)["nbData"] == 0
    assert _pending(http, account)["data"][0]["status"] == "pending"


def test_items_undecided_for_a_week_are_overdue_and_counted_in_metrics(http, db, account):
    _queue(http, account, "+33612345671", "remove me from your list")
    _queue(http, account, "+33612345672", "please take me off your list")
    old = _pending(http, account)["data"][0]
    eight_days_ago = clock.now_us() - 8 * 86_400 * clock.MICROS
    with db.write() as conn:
        conn.execute(
            update(review_items)
            .where(review_items.c.id == old["id"])
            .values(created_at=eight_days_ago)
        )
    listed = _pending(http, account)
    assert listed["pending"] == 2 and listed["overdue"] == 1
    assert [item["overdue"] for item in listed["data"]] == [True, False]
    scraped = http.get("/metrics").text
    overdue = re.search(r"^stoplist_review_overdue (\S+)$", scraped, re.M)
    pending = re.search(r"^stoplist_review_pending (\S+)$", scraped, re.M)
    assert overdue and float(overdue.group(1)) >= 1
    assert pending and float(pending.group(1)) >= 2
    http.post("/v1/review/dismiss", json={"apiKey": account.api_key, "id": old["id"]})
    assert _pending(http, account)["overdue"] == 0


def test_paging_through_the_queue(http, account):
    for index in range(5):
        _queue(http, account, f"+3361234560{index}", "stop texting me")
    first = _pending(http, account, limit=2)["data"]
    rest = _pending(http, account, limit=10, after=first[-1]["id"])["data"]
    assert len(first) == 2 and len(rest) == 3
    assert [item["id"] for item in first + rest] == sorted(item["id"] for item in first + rest)


def test_openapi_describes_the_review_routes(http):
    paths = http.get("/openapi.json").json()["paths"]
    assert {"/v1/review/list", "/v1/review/confirm", "/v1/review/dismiss"} <= set(paths)
    assert "404" in paths["/v1/review/confirm"]["post"]["responses"]


def test_confirming_hands_back_the_opt_out_confirmation_to_send(http, account):
    """Without an SMS Partner key the caller sends it: the answer says what, once a day."""
    _queue(http, account, "+33612345611", "please stop texting me")
    _queue(http, account, "+33612345611", "stop texting me please")
    _queue(http, account, "+33612345612", "leave me alone")
    first, second, other = (item["id"] for item in _pending(http, account)["data"])
    key = account.api_key
    confirmed = http.post("/v1/review/confirm", json={"apiKey": key, "id": first}).json()
    name = account.account.name
    assert (
        confirmed["reply"] == f"{name}: you are unsubscribed and will get no more messages from us."
    )
    assert confirmed["replyQueued"] is False
    again = http.post("/v1/review/confirm", json={"apiKey": key, "id": second}).json()
    assert again["status"] == "confirmed" and again["reply"] is None  # within 24 hours
    dismissed = http.post("/v1/review/dismiss", json={"apiKey": key, "id": other}).json()
    assert dismissed["reply"] is None and dismissed["replyQueued"] is False
