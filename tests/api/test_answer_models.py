"""The answer models describe the server's bytes exactly, in JSON and in XML.

Every answer of a real server is decoded strictly into its model of
``stoplist.client.answers`` and encoded again: the bytes must come back
identical. That holds the hand-written streams (the list's rows, the
filter's verdicts) and the error bodies to the models, and the models (from
which the OpenAPI schemas and the client's parsing derive) to the wire.
"""

from __future__ import annotations

from typing import Any

import httpx
import msgspec
import pytest

from stoplist.client import _xml, answers
from stoplist.http import render


def _same_bytes(answer: httpx.Response, model: type[msgspec.Struct], fmt: str) -> msgspec.Struct:
    body = answer.content
    if fmt == "xml":
        # An error is read as the answer that was hoped for, as the client does.
        found = _xml.read(body, answers.Done if model is answers.Error else model)
        assert isinstance(found, model), found
        assert render.encode(found, "xml") == body
        return found
    found = msgspec.json.decode(body, type=model)
    assert msgspec.json.encode(found) == body
    return found


@pytest.fixture
def populated(http: httpx.Client, account: Any) -> dict[str, Any]:
    key = {"apiKey": account.api_key}
    stop_id = http.post("/v1/stop-sms/add", json={**key, "phoneNumber": "0612345678"}).json()[
        "stopId"
    ]
    http.post("/v1/stop-sms/add", json={**key, "phoneNumber": "0612345679"})
    inbound = f"/inbound/{account.account.inbound_token}/generic"
    text = 'Stop "now" ]]> <b>é</b>\u2028\x01'
    http.post(inbound, json={"from": "+33612345670", "text": text, "id": "m-1"})
    return {"key": key, "stop_id": stop_id}


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_every_answer_is_its_model_byte_for_byte(http, populated, fmt):
    key = populated["key"]
    query = {"_format": fmt}
    sends: list[tuple[str, dict[str, Any], type[msgspec.Struct]]] = [
        ("/v1/stop-sms/list", {}, answers.StopList),
        ("/v1/stop-sms/list", {"limit": 1}, answers.StopList),
        ("/v1/stop-sms/list", {"limit": 5}, answers.StopList),
        ("/v1/stop-sms/check", {"phoneNumber": "0612345678"}, answers.Check),
        ("/v1/stop-sms/check", {"phoneNumber": "0612345677"}, answers.Check),
        ("/v1/stop-sms/history", {"phoneNumber": "0612345670"}, answers.History),
        ("/v1/stop-sms/history", {"phoneNumber": "0612345677"}, answers.History),
        ("/v1/stop-sms/evidence", {"phoneNumber": "0612345670"}, answers.Evidence),
        ("/v1/stop-sms/evidence", {"phoneNumber": "0612345678"}, answers.Evidence),
        ("/v1/stop-sms/evidence", {"phoneNumber": "0612345677"}, answers.Evidence),
        ("/v1/stop-sms/add", {"phoneNumber": "0612345676"}, answers.Added),
        ("/v1/stop-sms/erase", {"phoneNumber": "0612345674"}, answers.Erased),
        ("/v1/stop-sms/erase", {"phoneNumber": "0612345674"}, answers.Erased),
        ("/v1/stop-sms/history", {"phoneNumber": "0612345674"}, answers.History),
        ("/v1/stop-sms/evidence", {"phoneNumber": "0612345674"}, answers.Evidence),
        ("/v1/webhooks/list", {}, answers.Endpoints),
        ("/v1/webhooks/deliveries", {}, answers.Deliveries),
    ]
    for path, params, model in sends:
        answer = http.post(path, params=query, json={**key, **params})
        assert answer.status_code == 200, answer.text
        _same_bytes(answer, model, fmt)
    numbers: list[Any] = ["0612345678", "0612345675", "nope", "", "06 12"]
    if fmt == "json":  # XML carries no types: an invalid input comes back as text
        numbers += [None, 12, ["x"]]
    verdicts = http.post("/v1/stop-sms/filter", params=query, json={**key, "phoneNumbers": numbers})
    found = _same_bytes(verdicts, answers.Filter, fmt)
    assert isinstance(found, answers.Filter)
    assert [item.status for item in found.data[:3]] == ["stopped", "allowed", "invalid"]
    assert {item.status for item in found.data[3:]} == {"invalid"}
    stop_id = populated["stop_id"]
    deleted = http.post("/v1/stop-sms/delete", params=query, json={**key, "id": stop_id})
    _same_bytes(deleted, answers.Done, fmt)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_import_answer_is_its_model(http, account, fmt):
    body = b"phone;name\n0612345678;a\nnot a number;b\n0612345679;c\n"
    answer = http.post(
        "/v1/stop-sms/import",
        params={"apiKey": account.api_key, "_format": fmt},
        content=body,
        headers={"Content-Type": "text/csv"},
    )
    assert answer.status_code == 200, answer.text
    found = _same_bytes(answer, answers.Import, fmt)
    assert isinstance(found, answers.Import)
    assert (found.added, found.invalid, found.column) == (2, 1, "phone")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_error_answers_are_the_error_model(http, account, fmt):
    key = {"apiKey": account.api_key}
    query = {"_format": fmt}
    http.post("/v1/stop-sms/add", json={**key, "phoneNumber": "0612345678"})
    failures = [
        ("/v1/stop-sms/add", {**key, "phoneNumber": "0612345678"}, 3),
        ("/v1/stop-sms/add", {**key, "phoneNumber": "06123"}, 9),
        ("/v1/stop-sms/list", {**key, "limit": "zero"}, 91),
        ("/v1/stop-sms/delete", {**key, "id": 999_999_999}, 4),
        ("/v1/stop-sms/check", {"apiKey": "sl_wrong"}, 10),
    ]
    for path, sent, code in failures:
        answer = http.post(path, params=query, json=sent)
        assert answer.status_code >= 400
        found = _same_bytes(answer, answers.Error, fmt)
        assert isinstance(found, answers.Error)
        assert found.code == code


def test_inbound_and_review_answers_are_their_models(http, account):
    inbound = f"/inbound/{account.account.inbound_token}/smspartner"
    stop = {"from": "+33612345601", "text": "STOP", "messageId": "m-stop"}
    sends = [
        stop,
        stop,  # a duplicate
        {"from": "+33612345602", "text": "bonjour", "messageId": "m-reply"},
        {"from": "+33612345603", "text": "please stop texting me", "messageId": "m-review"},
        {"from": "+33612345604", "text": "St", "concat": "true", "concat-ref": "7",
         "concat-total": "2", "concat-part": "1"},  # a part awaiting the other
    ]  # fmt: skip
    found = [_same_bytes(http.post(inbound, json=body), answers.Inbound, "json") for body in sends]
    assert all(isinstance(answer, answers.Inbound) for answer in found)
    statuses = [(a.status, a.type, a.reply is not None, a.reply_queued) for a in found]  # type: ignore[attr-defined]
    assert statuses == [
        ("recorded", "opt_out", True, False),
        ("duplicate", "opt_out", True, False),
        ("recorded", "reply", False, False),
        ("recorded", "review", False, False),
        ("pending", answers.UNSET, False, False),
    ]
    assert found[0].reply == found[1].reply  # type: ignore[attr-defined]
    [item] = http.get("/v1/review/list", params={"apiKey": account.api_key}).json()["data"]
    confirmed = http.post("/v1/review/confirm", json={"apiKey": account.api_key, "id": item["id"]})
    decision = _same_bytes(confirmed, answers.ReviewDecision, "json")
    assert decision.reply.startswith(account.account.name)  # type: ignore[attr-defined]


def test_openapi_describes_the_reply_once_for_every_answer_carrying_it(http):
    document = http.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    for name in ("Inbound", "ReviewDecision"):
        properties = schemas[name]["properties"]
        assert properties["reply"] == {"anyOf": [{"type": "string"}, {"type": "null"}],
                                       **_described(properties["reply"])}  # fmt: skip
        assert properties["replyQueued"]["type"] == "boolean"
    ok = document["paths"]["/inbound/{token}/{provider}"]["post"]["responses"]["200"]
    assert ok["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Inbound"}


def _described(schema: dict[str, Any]) -> dict[str, Any]:
    assert "description" in schema and "default" in schema
    return {key: schema[key] for key in ("description", "default")}
