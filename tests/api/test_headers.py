"""Every answer carries the anti-framing and anti-sniffing headers; 405 tells the truth."""

from __future__ import annotations

import pytest

FRAMING = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/stop-sms/list"),  # 401: no key
        ("GET", "/v1/stop-sms/check?phoneNumber=0611111111"),
        ("GET", "/openapi.json"),
        ("GET", "/docs"),
        ("GET", "/healthz"),
        ("GET", "/no/such/page"),
        ("DELETE", "/v1/stop-sms/add"),
        ("GET", "/dashboard/login"),
    ],
)
def test_security_headers_on_every_answer(http, method, path):
    answer = http.request(method, path)
    for name, value in FRAMING.items():
        assert answer.headers.get(name) == value, (path, name)
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]


def test_security_headers_on_answers_with_a_key(http, account):
    answer = http.get(
        "/v1/stop-sms/check", params={"apiKey": account.api_key, "phoneNumber": "0611111111"}
    )
    assert answer.status_code == 200
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["x-frame-options"] == "DENY"


def test_the_dashboard_keeps_its_own_policy(http):
    policy = http.get("/dashboard/login").headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert policy.count("frame-ancestors") == 1


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/v1/stop-sms/add", {"GET", "HEAD", "POST"}),
        ("GET", "/v1/stop-sms/filter", {"POST"}),
        ("POST", "/v1/stop-sms/export", {"GET", "HEAD"}),
        ("GET", "/v1/stop-sms/import", {"POST"}),
        ("GET", "/v1/webhooks/add", {"POST"}),
        ("GET", "/inbound/no-such-token/twilio", {"POST"}),
    ],
)
def test_405_lists_the_methods_of_the_route(http, method, path, allowed):
    answer = http.request(method, path)
    assert answer.status_code == 405
    assert answer.json()["code"] == 405
    assert {m.strip() for m in answer.headers["allow"].split(",")} == allowed
