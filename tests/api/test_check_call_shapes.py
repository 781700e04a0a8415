"""``GET check`` with a query string (the sender's usual call, answered from
the first read) says exactly what a ``POST`` with a JSON body says, errors
included."""

import pytest

from stoplist.domain.accounts import Accounts

CHECK = "/v1/stop-sms/check"


def both_ways(http, params, headers=None):
    """The same call as a query string (GET) and as a body (POST)."""
    fast = http.get(CHECK, params=params, headers=headers)
    routed = http.post(CHECK, json=params, headers=headers)
    return fast, routed


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("number", ["+33612345678", "06 12 34 56 78", "+33699999999"])
def test_same_answer_as_the_route(http, account, fmt, number):
    http.post("/v1/stop-sms/add", json={"apiKey": account.api_key, "phoneNumber": "0612345678"})
    params = {"apiKey": account.api_key, "phoneNumber": number, "_format": fmt}
    fast, routed = both_ways(http, params)
    assert fast.status_code == routed.status_code == 200
    assert fast.headers["content-type"] == routed.headers["content-type"]
    assert fast.content == routed.content


def test_key_in_headers(http, account):
    params = {"phoneNumber": "+33612345678"}
    fast, routed = both_ways(http, params, headers={"Authorization": f"Bearer {account.api_key}"})
    assert fast.json() == routed.json() and fast.json()["stopped"] is False
    fast, _ = both_ways(http, params, headers={"X-Api-Key": account.api_key})
    assert fast.json()["success"] is True


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({}, 401, 1),
        ({"apiKey": "sl_unknown", "phoneNumber": "+33612345678"}, 401, 10),
        ({"phoneNumber": "12"}, 400, 9),
        ({}, 400, 2),
    ],
)
def test_errors_keep_their_codes_and_language(http, account, params, status, code):
    if code != 1 and "apiKey" not in params:
        params = {**params, "apiKey": account.api_key}
    fast, routed = both_ways(http, params, headers={"Accept-Language": "en"})
    assert fast.status_code == routed.status_code == status
    assert fast.json() == routed.json()
    assert fast.json()["code"] == code


def test_a_revoked_key_is_refused_at_once(http, db, account):
    _, secret = Accounts(db).create_key(account.account, "short-lived")
    params = {"apiKey": secret, "phoneNumber": "+33612345678"}
    assert http.get(CHECK, params=params).status_code == 200
    Accounts(db).revoke_key(account.account, secret)
    refused = http.get(CHECK, params=params)
    assert refused.status_code == 401 and refused.json()["code"] == 10


def test_a_stop_made_elsewhere_is_seen_at_once(http, account):
    params = {"apiKey": account.api_key, "phoneNumber": "+33655555555"}
    assert http.get(CHECK, params=params).json()["stopped"] is False
    http.post("/v1/stop-sms/add", json=params)
    assert http.get(CHECK, params=params).json()["stopped"] is True
