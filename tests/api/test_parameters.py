"""Integer and date parameters through a real server: hostile values get a 4xx with a code."""

from __future__ import annotations

import pytest

LIST = "/v1/stop-sms/list"
ADD = "/v1/stop-sms/add"
DELETE = "/v1/stop-sms/delete"
DELIVERIES = "/v1/webhooks/deliveries"
WEBHOOK_DELETE = "/v1/webhooks/delete"

HUGE = "9" * 5000
LEADING_ZEROS = "0" * 5000 + "1"


@pytest.mark.parametrize(
    "stop_id",
    [
        "9223372036854775808",
        HUGE,
        "١",  # ARABIC-INDIC DIGIT ONE
        "²",
        "１",  # FULLWIDTH DIGIT ONE
        "-1",
        "0",
        "1e3",
        " ",
    ],
)
def test_delete_with_an_id_that_cannot_exist_is_not_found(http, account, stop_id):
    http.get(ADD, params={"apiKey": account.api_key, "phoneNumber": "0611111111"})
    answer = http.get(DELETE, params={"apiKey": account.api_key, "id": stop_id})
    if not stop_id.strip():
        assert (answer.status_code, answer.json()["code"]) == (400, 3)
    else:
        assert (answer.status_code, answer.json()["code"]) == (404, 4)
    listed = http.get(LIST, params={"apiKey": account.api_key}).json()
    assert listed["nbData"] == 1  # stop 1 (or any other) was not removed by a look-alike


def test_delete_reads_an_id_with_leading_zeros(http, account):
    stop_id = http.get(ADD, params={"apiKey": account.api_key, "phoneNumber": "0611111112"})
    stop_id = stop_id.json()["stopId"]
    padded = "0" * 5000 + str(stop_id)
    answer = http.post(DELETE, data={"apiKey": account.api_key, "id": padded})
    assert answer.json() == {"success": True, "code": 200}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("after", HUGE),
        ("after", "9223372036854775808"),
        ("after", "١"),
        ("after", "-1"),
        ("limit", "²"),
        ("limit", "0"),
        ("limit", "10001"),
        ("limit", HUGE),
        ("limit", "1.5"),
        ("until", "9999-12-31"),
        ("until", "9999-12-31T23:00:00-05:00"),
        ("since", "0001-01-01"),
        ("since", "١٩٩٩-01-01"),
        ("since", "2025-13-01"),
        ("since", "2025-01-01 25:00:00"),
        ("since", HUGE),
    ],
)
def test_list_parameters_out_of_range_get_code_91(http, account, name, value):
    for answer in (
        http.get(LIST, params={"apiKey": account.api_key, name: value}),
        http.post(LIST, json={"apiKey": account.api_key, name: value}),
        http.get(LIST, params={"apiKey": account.api_key, name: value, "_format": "xml"}),
    ):
        assert answer.status_code == 400
        if answer.headers["content-type"].startswith("application/json"):
            body = answer.json()
            assert body["code"] == 91
            assert body["detail"].startswith(name)
        else:
            assert b"<entry>91</entry>" in answer.content


@pytest.mark.parametrize("value", [True, 1.5, [1], {"a": 1}, -3])
def test_list_limit_of_the_wrong_json_type_gets_code_91(http, account, value):
    answer = http.post(LIST, json={"apiKey": account.api_key, "limit": value})
    assert (answer.status_code, answer.json()["code"]) == (400, 91)


def test_list_accepts_the_edges_of_the_ranges(http, account):
    params = {
        "apiKey": account.api_key,
        "limit": "10000",
        "after": "9223372036854775806",
        "since": "1900-01-01",
        "until": "2999-12-31 23:59:59",
    }
    answer = http.get(LIST, params=params)
    assert answer.status_code == 200
    assert answer.json()["nbData"] == 0


@pytest.mark.parametrize("value", ["١", "²", HUGE, "0", "1001"])
def test_webhook_deliveries_limit_is_validated(http, account, value):
    answer = http.get(DELIVERIES, params={"apiKey": account.api_key, "limit": value})
    assert (answer.status_code, answer.json()["code"]) == (400, 91)


@pytest.mark.parametrize("value", ["١", HUGE, "abc"])
def test_webhook_delete_refuses_look_alike_ids(http, account, value):
    answer = http.post(WEBHOOK_DELETE, data={"apiKey": account.api_key, "id": value})
    assert answer.status_code in (400, 404)
    assert answer.json()["code"] in (91, 404)


@pytest.mark.parametrize(
    ("path", "params", "french", "english"),
    [
        (LIST, {"limit": "0"}, "limit doit être un entier de 1 à ", "limit must be an integer"),
        (LIST, {"since": "hier"}, "since doit être de la forme AAAA-MM-JJ", "since must be YYYY"),
        (
            DELIVERIES,
            {"status": "lost"},
            "status vaut pending, delivered, failed ou cancelled",
            "status is pending, delivered, failed or cancelled",
        ),
        (WEBHOOK_DELETE, {}, "id est requis", "id is required"),
    ],
)
def test_a_refused_parameter_is_explained_in_the_callers_language(
    http, account, path, params, french, english
):
    """Code 91's detail follows the message: French by default, English when asked."""
    query = {"apiKey": account.api_key, **params}
    default = http.post(path, params=query).json()
    asked = http.post(path, params=query, headers={"Accept-Language": "en"}).json()
    assert (default["code"], asked["code"]) == (91, 91)
    assert default["message"] == "Paramètre invalide" and asked["message"] == "Invalid parameter"
    assert default["detail"].startswith(french), default["detail"]
    assert asked["detail"].startswith(english), asked["detail"]
