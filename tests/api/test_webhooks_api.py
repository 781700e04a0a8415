"""``/v1/webhooks/...``: managing outgoing webhook endpoints over the API."""

from __future__ import annotations


def test_add_list_deliveries_delete(http, account, other_account):
    key = {"apiKey": account.api_key}
    added = http.post("/v1/webhooks/add", json={**key, "url": "http://127.0.0.1:9/hook"}).json()
    assert list(added) == ["success", "code", "id", "secret"]
    assert added["secret"].startswith("whsec_")

    listed = http.get("/v1/webhooks/list", params=key).json()
    assert listed["nbData"] == 1
    assert listed["data"][0]["url"] == "http://127.0.0.1:9/hook"
    assert added["secret"] not in str(listed)
    assert (
        http.get("/v1/webhooks/list", params={"apiKey": other_account.api_key}).json()["nbData"]
        == 0
    )

    http.post("/v1/stop-sms/add", json={**key, "phoneNumber": "0612345678"})
    deliveries = http.get("/v1/webhooks/deliveries", params=key).json()
    assert deliveries["nbData"] == 1
    assert deliveries["data"][0]["endpointId"] == added["id"]
    assert deliveries["data"][0]["webhookId"].startswith("msg_")

    other = {"apiKey": other_account.api_key, "id": added["id"]}
    assert http.post("/v1/webhooks/delete", json=other).json()["code"] == 404
    assert http.post("/v1/webhooks/delete", json={**key, "id": added["id"]}).json() == {
        "success": True,
        "code": 200,
    }
    assert http.get("/v1/webhooks/list", params=key).json()["nbData"] == 0
    cancelled = http.get("/v1/webhooks/deliveries", params={**key, "status": "cancelled"})
    assert cancelled.json()["nbData"] == 1


def test_bad_parameters(http, account):
    key = {"apiKey": account.api_key}
    for body in ({}, {"url": "ftp://example.com"}, {"url": "not a url"}):
        answer = http.post("/v1/webhooks/add", json={**key, **body})
        assert (answer.status_code, answer.json()["code"]) == (400, 91)
    assert http.post("/v1/webhooks/delete", json=key).json()["code"] == 91
    assert http.get("/v1/webhooks/deliveries", params={**key, "status": "x"}).json()["code"] == 91
    assert http.get("/v1/webhooks/deliveries", params={**key, "limit": "0"}).json()["code"] == 91
    assert http.get("/v1/webhooks/list").json()["code"] == 1
