"""``/v1/webhooks/...``: managing outgoing webhook endpoints over the API."""

from __future__ import annotations

import httpx


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


REFUSED = {
    "http://127.0.0.1:18099/x\r\nX-Injected: yes": "contains spaces or control characters",
    "http://user:secret@crm.example.com/hook": "must not contain a user name or password",
    "gopher://crm.example.com/hook": "must start with http:// or https://",
    "http://127.0.0.1:9/hook": "loopback, private, link-local, multicast or reserved",
    "http://[::1]/hook": "loopback, private, link-local, multicast or reserved",
    "http://0.0.0.0/hook": "loopback, private, link-local, multicast or reserved",
    "http://10.0.0.1/hook": "loopback, private, link-local, multicast or reserved",
    "http://2130706433/hook": "loopback, private, link-local, multicast or reserved",
    "http://169.254.169.254/latest/meta-data/": "loopback, private, link-local, multicast",
    "http://metadata.google.internal/": "the host name is internal",
    "http://localhost:8080/v1/stop-sms/add": "the host name is internal",
}


def test_refused_urls_say_why_and_store_nothing(strict_server, account):
    key = {"apiKey": account.api_key}
    with httpx.Client(base_url=strict_server.base_url, timeout=30) as client:
        for url, why in REFUSED.items():
            for body in ({"json": {**key, "url": url}}, {"data": {**key, "url": url}}):
                answer = client.post("/v1/webhooks/add", **body)
                refused = answer.json()
                assert (answer.status_code, refused["code"]) == (400, 91), url
                assert refused["message"] == f"URL de webhook refusée : {refused['detail']}"
            english = client.post(
                "/v1/webhooks/add", json={**key, "url": url}, headers={"Accept-Language": "en"}
            ).json()
            assert why in english["detail"]
            assert english["message"] == f"Webhook URL refused: {english['detail']}"
        assert client.get("/v1/webhooks/list", params=key).json()["nbData"] == 0
        added = client.post("/v1/webhooks/add", json={**key, "url": "https://crm.example/hook"})
        assert added.json()["success"] is True


def test_the_operator_may_allow_private_receivers(http, account):
    # The shared test server runs with STOPLIST_WEBHOOK_ALLOW_PRIVATE=1.
    key = {"apiKey": account.api_key}
    for url in ("http://127.0.0.1:9/hook", "http://10.0.0.1/hook", "http://localhost:9/hook"):
        assert http.post("/v1/webhooks/add", json={**key, "url": url}).json()["success"] is True
    injected = http.post("/v1/webhooks/add", json={**key, "url": "http://127.0.0.1:9/\r\nX: y"})
    assert injected.json()["code"] == 91  # whatever the setting
