"""``/v1/stop-sms/evidence`` and ``/v1/events/export`` through the real server."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from xml.etree import ElementTree

from sqlalchemy import text
from standardwebhooks import Webhook

from stoplist.client import Client, InvalidParameter
from stoplist.domain.inbound_endpoints import InboundEndpoints
from stoplist.domain.stops import StopList
from stoplist.records.events import Source
from tests.formula_cells import check_csv, check_ndjson, send_hostile_history

NUMBER = "+33612345678"


def _inbound(account, provider: str = "generic") -> str:
    return f"/inbound/{account.account.inbound_token}/{provider}"


def _signed_stop(http, account, db) -> None:
    """A STOP through a generic endpoint that requires Standard Webhooks signatures."""
    secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    InboundEndpoints(db, account.account).require_signatures("generic", secret)
    body = json.dumps({"from": NUMBER, "text": "STOP", "id": "sig-1"})
    message_id = "msg_" + uuid.uuid4().hex
    now = datetime.now(UTC)
    signature = Webhook(secret).sign(message_id, now, body)
    headers = {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
    }
    assert http.post(_inbound(account), content=body, headers=headers).status_code == 200


def _story(http, account, db) -> None:
    """An unsigned reply, an opt-out in the dashboard with who and why, an opt-in through
    the API, a signed STOP."""
    key = {"apiKey": account.api_key}
    reply = {"from": NUMBER, "text": "c'est qui ?", "id": "r-1"}
    assert http.post(_inbound(account), json=reply).status_code == 200
    added = StopList(db, account.account).add(
        NUMBER, source=Source.DASHBOARD, actor="alice", reason="asked by phone"
    )
    http.post("/v1/stop-sms/delete", json={**key, "id": added.id})
    _signed_stop(http, account, db)


def test_evidence_of_a_number(http, account, db):
    _story(http, account, db)
    http.post("/v1/stop-sms/add", json={"apiKey": account.api_key, "phoneNumber": "0699999999"})
    answer = http.get(
        "/v1/stop-sms/evidence", params={"apiKey": account.api_key, "phoneNumber": "06 12 34 56 78"}
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["phoneNumber"] == NUMBER and body["stopped"] is True
    assert body["timeZone"] == "Europe/Paris"
    assert body["verified"] is True and body["chainLength"] == 5 and body["nbData"] == 4
    events = body["data"]
    assert [(e["type"], e["source"]) for e in events] == [
        ("reply", "sms"),
        ("opt_out", "dashboard"),
        ("opt_in", "api"),
        ("opt_out", "sms"),
    ]
    reply, added, _, stop = events
    assert (reply["provider"], reply["providerMessageId"], reply["text"]) == (
        "generic",
        "r-1",
        "c'est qui ?",
    )
    assert reply["signatureVerified"] is False and stop["signatureVerified"] is True
    assert added["signatureVerified"] is None
    assert (added["actor"], added["reason"]) == ("alice", "asked by phone")
    assert reply["eventAt"] and reply["receivedAt"]
    proofs = [event["proof"] for event in events]
    assert [proof["position"] for proof in proofs] == [1, 2, 3, 4]
    assert proofs[0]["prevHash"] == "0" * 64
    assert all(b["prevHash"] == a["hash"] for a, b in pairwise(proofs))
    assert all(p["contentVerified"] and p["chainVerified"] for p in proofs)
    assert proofs[0]["textDigest"] and proofs[1]["textDigest"] is None
    assert body["chainHead"] != proofs[-1]["hash"]  # the other number's add came last

    xml = http.get(
        "/v1/stop-sms/evidence",
        params={"apiKey": account.api_key, "phoneNumber": NUMBER, "_format": "xml"},
    )
    assert xml.status_code == 200 and ElementTree.fromstring(xml.content).tag == "result"

    with Client(f"{http.base_url}/v1", account.api_key) as client:
        found = client.evidence(NUMBER)
    assert found.verified and [e.type for e in found.data][-1] == "opt_out"
    assert found.data[-1].proof is not None and found.data[-1].proof.chain_verified


def test_evidence_shows_a_hand_edit(http, account, db):
    _story(http, account, db)
    with db.engine.begin() as conn:
        conn.execute(
            text("UPDATE events SET text = 'STOP' WHERE account_id = :a AND kind = 'reply'"),
            {"a": account.account.id},
        )
    body = http.post(
        "/v1/stop-sms/evidence", json={"apiKey": account.api_key, "phoneNumber": NUMBER}
    ).json()
    assert body["verified"] is False
    proofs = [event["proof"] for event in body["data"]]
    assert [(p["contentVerified"], p["chainVerified"]) for p in proofs] == [
        (False, False),
        (True, False),
        (True, False),
        (True, False),
    ]


def test_evidence_needs_a_number(http, account):
    answer = http.get("/v1/stop-sms/evidence", params={"apiKey": account.api_key})
    assert answer.status_code == 400 and answer.json()["code"] == 2
    assert http.get("/v1/stop-sms/evidence", params={"phoneNumber": NUMBER}).status_code == 401


def _export(http, account, **params):
    return http.get("/v1/events/export", params={"apiKey": account.api_key, **params})


def test_export_as_csv_and_ndjson(http, account, db, other_account):
    _story(http, account, db)
    http.post("/v1/stop-sms/add", json={"apiKey": other_account.api_key, "phoneNumber": NUMBER})
    as_csv = _export(http, account)
    assert as_csv.status_code == 200
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [row["chainSeq"] for row in rows] == ["1", "2", "3", "4"]
    assert rows[0]["text"] == "c'est qui ?" and rows[0]["signatureVerified"] == "false"
    assert rows[3]["signatureVerified"] == "true"
    assert rows[1]["actor"] == "alice" and rows[1]["prevHash"] == rows[0]["hash"]
    assert rows[0]["eventAt"].endswith("Z")
    assert json.loads(rows[3]["details"])["signatureVerified"] is True

    lines = _export(http, account, format="ndjson").text.splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["type"] for r in records] == ["reply", "opt_out", "opt_in", "opt_out"]
    assert records[0]["numberDigest"] == rows[0]["numberDigest"]
    assert {r["phoneNumber"] for r in records} == {NUMBER}

    with Client(f"{http.base_url}/v1", account.api_key) as client:
        streamed = b"".join(client.export_events(format="ndjson"))
    assert streamed.decode().splitlines() == lines


def test_csv_export_keeps_formulas_from_running_and_ndjson_keeps_them_as_sent(http, account):
    send_hostile_history(http, account.api_key, account.account.inbound_token)
    check_csv(_export(http, account).text)
    check_ndjson(_export(http, account, format="ndjson").text)
    as_json = _export(http, account, format="json").text
    check_ndjson("\n".join(json.dumps(record) for record in json.loads(as_json)))


def test_export_of_a_date_range(http, account, db):
    _story(http, account, db)
    today = datetime.now(account.account.zone)  # dates are days in the account's zone
    tomorrow = (today + timedelta(days=1)).date().isoformat()
    yesterday = (today - timedelta(days=1)).date().isoformat()
    assert _export(http, account, since=tomorrow).text.count("\n") == 1  # the header only
    assert len(_export(http, account, until=yesterday, format="ndjson").content) == 0
    both = _export(http, account, since=yesterday, until=tomorrow, format="ndjson")
    assert len(both.text.splitlines()) == 4
    with db.engine.connect() as conn:
        second = conn.execute(
            text(
                "SELECT event_at FROM events WHERE account_id = :a AND chain_seq = 2",
            ),
            {"a": account.account.id},
        ).scalar()
    at = datetime.fromtimestamp(second / 1e6, UTC).isoformat()
    from_second = _export(http, account, since=at, format="ndjson").text.splitlines()
    assert [json.loads(line)["chainSeq"] for line in from_second] == [2, 3, 4]
    before_second = _export(http, account, until=at, format="ndjson").text.splitlines()
    assert [json.loads(line)["chainSeq"] for line in before_second] == [1]


def test_export_since_later_than_until_is_refused_in_each_language(http, account):
    params = {"apiKey": account.api_key, "since": "2026-03-02", "until": "2026-03-01"}

    def refused(language: str) -> dict:
        answer = http.get("/v1/events/export", params=params, headers={"Accept-Language": language})
        assert answer.status_code == 400, answer.text
        return answer.json()

    english = refused("en")
    assert english["code"] == 91
    assert english["detail"] == "since must not be later than until"
    french = refused("fr")
    assert french["code"] == 91
    assert french["detail"] == "since ne doit pas être postérieur à until"
    same = _export(http, account, since="2026-03-01", until="2026-03-01")
    assert same.status_code == 200  # an empty range, not a mistake


def test_export_refuses_bad_parameters(http, account):
    for params in ({"format": "xlsx"}, {"since": "yesterday"}, {"until": "2025-02-30"}):
        answer = _export(http, account, **params)
        assert answer.status_code == 400, params
        assert answer.json()["code"] == 91
    assert http.get("/v1/events/export").status_code == 401
    with Client(f"{http.base_url}/v1", account.api_key) as client:
        try:
            b"".join(client.export_events(format="xlsx"))
        except InvalidParameter:
            pass
        else:
            raise AssertionError("an unknown format must be refused")
