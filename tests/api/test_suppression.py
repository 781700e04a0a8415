"""check, filter, list paging, export and import through the real server."""

from __future__ import annotations

import csv
import io

import orjson
import pytest

from stoplist.domain.imports import import_numbers
from stoplist.domain.stops import StopList


def _add(http, account, number):
    answer = http.post(
        "/v1/stop-sms/add", json={"apiKey": account.api_key, "phoneNumber": number}
    ).json()
    assert answer["success"] is True, answer
    return answer["stopId"]


# check


def test_check_stopped_and_not(http, account):
    stop_id = _add(http, account, "0612345678")
    stopped = http.get(
        "/v1/stop-sms/check", params={"apiKey": account.api_key, "phoneNumber": "06 12 34 56 78"}
    )
    body = stopped.json()
    assert list(body) == ["success", "code", "phoneNumber", "stopped", "stopId", "createdAt"]
    assert body["phoneNumber"] == "+33612345678"
    assert body["stopped"] is True
    assert body["stopId"] == stop_id
    assert len(body["createdAt"]) == len("2015-07-20 10:19:45")
    free = http.post(
        "/v1/stop-sms/check", json={"apiKey": account.api_key, "phoneNumber": "+33612345679"}
    ).json()
    assert free == {"success": True, "code": 200, "phoneNumber": "+33612345679", "stopped": False}


def test_check_xml(http, account):
    stop_id = _add(http, account, "+33612345678")
    answer = http.get(
        "/v1/stop-sms/check",
        params={"apiKey": account.api_key, "phoneNumber": "+33612345678", "_format": "xml"},
    )
    assert answer.headers["content-type"].startswith("application/xml")
    assert (
        "<entry>true</entry><entry>200</entry><entry><![CDATA[+33612345678]]></entry>"
        f"<entry>true</entry><entry>{stop_id}</entry>"
    ) in answer.text


def test_check_trunk_prefix_in_international_form_finds_the_stop(http, account):
    """``+330612345678`` is what ``normalize`` reads as ``+33612345678``."""
    stop_id = _add(http, account, "+33612345678")
    body = http.get(
        "/v1/stop-sms/check", params={"apiKey": account.api_key, "phoneNumber": "+330612345678"}
    ).json()
    assert body["stopped"] is True
    assert body["stopId"] == stop_id


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"phoneNumber": "+33612345678"}, 401, 1),
        ({"apiKey": "sl_nope", "phoneNumber": "+33612345678"}, 401, 10),
        ({"apiKey": None}, 400, 2),
        ({"apiKey": None, "phoneNumber": "hello"}, 400, 9),
        ({"apiKey": None, "phoneNumber": "+33012345678"}, 400, 9),
    ],
)
def test_check_errors(http, account, params, status, code):
    params = {k: (account.api_key if v is None else v) for k, v in params.items()}
    answer = http.get("/v1/stop-sms/check", params=params)
    assert answer.status_code == status
    assert answer.json()["code"] == code


def test_check_is_scoped_to_the_account(http, account, other_account):
    _add(http, other_account, "+33612345678")
    body = http.get(
        "/v1/stop-sms/check", params={"apiKey": account.api_key, "phoneNumber": "+33612345678"}
    ).json()
    assert body["stopped"] is False


# filter


def test_filter_json_in_input_order(http, account):
    stop_id = _add(http, account, "+33612345678")
    answer = http.post(
        "/v1/stop-sms/filter",
        json={
            "apiKey": account.api_key,
            "phoneNumbers": ["+33611111111", "06 12 34 56 78", "12", "+330612345678", "+3361"],
        },
    )
    assert answer.status_code == 200
    body = answer.json()
    assert list(body) == ["success", "code", "nbData", "counts", "data"]
    assert body["nbData"] == 5
    assert body["counts"] == {"allowed": 1, "stopped": 2, "invalid": 2}
    assert body["data"] == [
        {"phoneNumber": "+33611111111", "status": "allowed"},
        {"phoneNumber": "+33612345678", "status": "stopped", "stopId": stop_id},
        {
            "input": "12",
            "status": "invalid",
            "code": 9,
            "reason": "too_short",
            "detail": "trop court",
        },
        {"phoneNumber": "+33612345678", "status": "stopped", "stopId": stop_id},
        {
            "input": "+3361",
            "status": "invalid",
            "code": 9,
            "reason": "too_short",
            "detail": "trop court",
        },
    ]


def test_filter_reads_every_value_of_a_repeated_name(http, account):
    """As ``requests.post(url, data={"phoneNumbers": [...]})`` sends a list: in a form or a
    query string, the name once per number. Each one is answered, the stopped one first."""
    stop_id = _add(http, account, "0611223399")
    numbers = [("phoneNumbers", "0611223399"), ("phoneNumbers", "0699999998")]
    as_form = http.post(
        "/v1/stop-sms/filter",
        content=f"apiKey={account.api_key}&phoneNumbers=0611223399&phoneNumbers=0699999998",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    in_query = http.post("/v1/stop-sms/filter", params=[("apiKey", account.api_key), *numbers])
    for answer in (as_form, in_query):
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["counts"] == {"allowed": 1, "stopped": 1, "invalid": 0}
        assert body["data"] == [
            {"phoneNumber": "+33611223399", "status": "stopped", "stopId": stop_id},
            {"phoneNumber": "+33699999998", "status": "allowed"},
        ]


def test_filter_of_an_empty_list_answers_no_item_and_of_nothing_asks_for_a_number(http, account):
    empty = http.post("/v1/stop-sms/filter", json={"apiKey": account.api_key, "phoneNumbers": []})
    assert empty.status_code == 200 and empty.json()["nbData"] == 0, empty.text
    nothing = http.post("/v1/stop-sms/filter", json={"apiKey": account.api_key})
    assert nothing.json()["code"] == 2, nothing.text


def test_filter_answers_the_numbers_of_both_names(http, account):
    stop_id = _add(http, account, "0611223397")
    for sent in (
        {"data": {"apiKey": account.api_key, "phoneNumber": "0611223397",
                  "phoneNumbers": "0699999997"}},
        {"json": {"apiKey": account.api_key, "phoneNumber": "0611223397",
                  "phoneNumbers": ["0699999997"]}},
    ):  # fmt: skip
        body = http.post("/v1/stop-sms/filter", **sent).json()
        assert body["data"] == [
            {"phoneNumber": "+33611223397", "status": "stopped", "stopId": stop_id},
            {"phoneNumber": "+33699999997", "status": "allowed"},
        ]


def test_filter_e164_shaped_but_invalid_is_not_allowed(http, account):
    body = http.post(
        "/v1/stop-sms/filter",
        json={"apiKey": account.api_key, "phoneNumbers": ["+33012345678", "+999123456789"]},
    ).json()
    assert [item["status"] for item in body["data"]] == ["invalid", "invalid"]
    assert [item["reason"] for item in body["data"]] == ["unknown_prefix", "unknown_country_code"]


def test_filter_says_why_each_invalid_item_is_invalid_in_the_callers_language(http, account):
    inputs = ["12", "nope", "", None, 5, "+999123456789"]
    reasons = [
        "too_short",
        "not_a_number",
        "not_a_number",
        "not_a_number",
        "not_a_number",
        "unknown_country_code",
    ]
    body = {"apiKey": account.api_key, "phoneNumbers": inputs}
    french = http.post("/v1/stop-sms/filter", json=body).json()["data"]
    english = http.post("/v1/stop-sms/filter", json=body, headers={"Accept-Language": "en"}).json()[
        "data"
    ]
    assert [item["reason"] for item in french] == [item["reason"] for item in english] == reasons
    assert [item["detail"] for item in english] == [
        "too short",
        "not a number",
        "not a number",
        "not a number",
        "not a number",
        "unknown country code",
    ]
    assert (
        french[0]["detail"] == "trop court" and french[-1]["detail"] == "indicatif de pays inconnu"
    )
    xml = http.post(
        "/v1/stop-sms/filter",
        params={"_format": "xml"},
        json=body,
        headers={"Accept-Language": "en"},
    ).text
    assert "<entry>9</entry><entry><![CDATA[too_short]]></entry>" in xml
    assert "<entry><![CDATA[too short]]></entry>" in xml


def test_filter_text_body_with_key_in_header(http, account):
    stop_id = _add(http, account, "+33612345678")
    answer = http.post(
        "/v1/stop-sms/filter",
        content=b"0612345678\r\n\r\n+33611111111\nnope\n",
        headers={"Authorization": f"Bearer {account.api_key}", "Content-Type": "text/plain"},
    )
    assert answer.json()["data"] == [
        {"phoneNumber": "+33612345678", "status": "stopped", "stopId": stop_id},
        {
            "input": "",
            "status": "invalid",
            "code": 9,
            "reason": "not_a_number",
            "detail": "ce n'est pas un numéro",
        },
        {"phoneNumber": "+33611111111", "status": "allowed"},
        {
            "input": "nope",
            "status": "invalid",
            "code": 9,
            "reason": "not_a_number",
            "detail": "ce n'est pas un numéro",
        },
    ]


def test_filter_xml(http, account):
    answer = http.post(
        "/v1/stop-sms/filter?_format=xml",
        json={"apiKey": account.api_key, "phoneNumbers": ["+33611111111"]},
    )
    assert answer.text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<result>')
    assert "<![CDATA[allowed]]>" in answer.text


def test_filter_errors(http, account):
    assert (
        http.post("/v1/stop-sms/filter", json={"phoneNumbers": ["+33611111111"]}).json()["code"]
        == 1
    )
    assert http.post("/v1/stop-sms/filter", json={"apiKey": account.api_key}).json()["code"] == 2
    malformed = http.post(
        "/v1/stop-sms/filter",
        content=b'{"apiKey": "x", ',
        headers={"Content-Type": "application/json"},
    )
    assert malformed.json()["code"] == 90
    assert http.get("/v1/stop-sms/filter", params={"apiKey": account.api_key}).status_code == 405


def test_filter_a_million_numbers(http, account, db):
    """The documented maximum, half of it on the list, in one request."""
    import_numbers(StopList(db, account.account), [f"+3361{i:07d}" for i in range(0, 4000, 2)])
    numbers = [f"+3361{i:07d}" for i in range(1_000_000)]
    numbers[7] = "07 81 23 45 67"
    numbers[9] = "not a number"
    answer = http.post(
        "/v1/stop-sms/filter",
        content=orjson.dumps({"apiKey": account.api_key, "phoneNumbers": numbers}),
        timeout=300,
    )
    assert answer.status_code == 200, answer.text[:300]
    body = orjson.loads(answer.content)
    assert body["nbData"] == 1_000_000
    assert body["counts"] == {"allowed": 1_000_000 - 2000 - 1, "stopped": 2000, "invalid": 1}
    data = body["data"]
    assert data[0]["status"] == "stopped"
    assert data[1] == {"phoneNumber": "+33610000001", "status": "allowed"}
    assert data[7] == {"phoneNumber": "+33781234567", "status": "allowed"}
    assert data[9] == {
        "input": "not a number",
        "status": "invalid",
        "code": 9,
        "reason": "not_a_number",
        "detail": "ce n'est pas un numéro",
    }
    assert data[999_999]["phoneNumber"] == "+33610999999"


def test_filter_refuses_more_than_a_million(http, account):
    numbers = ["+33611111111"] * 1_000_001
    answer = http.post(
        "/v1/stop-sms/filter",
        content=orjson.dumps({"apiKey": account.api_key, "phoneNumbers": numbers}),
        timeout=120,
    )
    assert answer.status_code == 400
    assert answer.json()["code"] == 91


# list paging


def test_list_paging_by_id(http, account):
    ids = [_add(http, account, f"+3361234567{i}") for i in range(5)]
    seen: list[int] = []
    after = None
    pages = 0
    while True:
        params = {"apiKey": account.api_key, "limit": 2}
        if after is not None:
            params["after"] = after
        body = http.get("/v1/stop-sms/list", params=params).json()
        assert list(body) == ["success", "code", "nbData", "data", "nextAfter"]
        assert body["nbData"] == len(body["data"])
        seen += [entry["id"] for entry in body["data"]]
        pages += 1
        after = body["nextAfter"]
        if after is None:
            break
    assert seen == ids
    assert pages == 3
    full_page = http.get(
        "/v1/stop-sms/list", params={"apiKey": account.api_key, "after": ids[2], "limit": 2}
    ).json()
    assert full_page["nextAfter"] is None  # exactly the last two: no empty page after


def test_list_default_answer_is_unchanged(http, account):
    _add(http, account, "+33612345678")
    body = http.get("/v1/stop-sms/list", params={"apiKey": account.api_key}).json()
    assert list(body) == ["success", "code", "nbData", "data"]


def test_list_since_until(http, account):
    _add(http, account, "+33612345678")
    past = http.get(
        "/v1/stop-sms/list",
        params={"apiKey": account.api_key, "until": "2000-01-01"},
    ).json()
    assert past["nbData"] == 0
    recent = http.get(
        "/v1/stop-sms/list",
        params={"apiKey": account.api_key, "since": "2000-01-01T00:00:00+00:00"},
    ).json()
    assert recent["nbData"] == 1
    assert "nextAfter" not in recent


@pytest.mark.parametrize(
    "params",
    [{"limit": "0"}, {"limit": "10001"}, {"limit": "x"}, {"after": "-1"}, {"since": "yesterday"}],
)
def test_list_bad_paging_parameters(http, account, params):
    answer = http.get("/v1/stop-sms/list", params={"apiKey": account.api_key, **params})
    assert answer.status_code == 400
    assert answer.json()["code"] == 91


def test_list_paging_xml_ends_with_the_cursor(http, account):
    first = _add(http, account, "+33612345670")
    _add(http, account, "+33612345671")
    answer = http.get(
        "/v1/stop-sms/list", params={"apiKey": account.api_key, "limit": 1, "_format": "xml"}
    )
    assert answer.text.endswith(f"</entry><entry>{first}</entry></result>\n")


# export


def test_export_formats(http, account):
    first = _add(http, account, "+33612345678")
    second = _add(http, account, "+33612345679")
    csv_answer = http.get("/v1/stop-sms/export", params={"apiKey": account.api_key})
    assert csv_answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(csv_answer.text)))
    assert rows[0] == ["id", "phoneNumber", "createdAt", "source"]
    assert [(int(r[0]), r[1], r[3]) for r in rows[1:]] == [
        (first, "+33612345678", "api"),
        (second, "+33612345679", "api"),
    ]
    as_json = http.get(
        "/v1/stop-sms/export", params={"apiKey": account.api_key, "format": "json"}
    ).json()
    assert [entry["id"] for entry in as_json] == [first, second]
    assert list(as_json[0]) == ["id", "phoneNumber", "createdAt", "source"]
    ndjson = http.get(
        "/v1/stop-sms/export",
        params={"format": "ndjson"},
        headers={"X-Api-Key": account.api_key},
    )
    lines = [orjson.loads(line) for line in ndjson.text.splitlines()]
    assert lines == as_json


def test_export_errors(http, account):
    assert http.get("/v1/stop-sms/export").json()["code"] == 1
    bad = http.get("/v1/stop-sms/export", params={"apiKey": account.api_key, "format": "xls"})
    assert bad.status_code == 400
    assert bad.json()["code"] == 91


# import


def test_import_csv_with_invalid_and_duplicate_lines(http, account):
    existing = _add(http, account, "+33612345678")
    removed = _add(http, account, "+33622222222")
    http.post("/v1/stop-sms/delete", json={"apiKey": account.api_key, "id": removed})
    body = (
        "name;phone_number\n"
        "Ann;06 12 34 56 78\n"
        "Bob;0633333333\n"
        "Cid;hello\n"
        "Dan;+33633333333\n"
        "\n"
        "Eve;0622222222\n"
        "Fay;0644444444\n"
    )
    answer = http.post(
        "/v1/stop-sms/import", params={"apiKey": account.api_key}, content=body.encode()
    )
    report = answer.json()
    assert report == {
        "success": True,
        "code": 200,
        "added": 2,
        "alreadyStopped": 2,
        "invalid": 1,
        "invalidLines": [{"line": 4, "input": "hello", "code": 9, "reason": "not_a_number"}],
        "optedIn": 1,
        "lines": 8,
        "column": "phone_number",
        "columnNumber": 2,
        "header": True,
    }
    listed = http.get("/v1/stop-sms/list", params={"apiKey": account.api_key}).json()
    assert [entry["phoneNumber"] for entry in listed["data"]] == [
        "+33612345678",
        "+33633333333",
        "+33644444444",
    ]
    assert listed["data"][0]["id"] == existing
    again = http.post(
        "/v1/stop-sms/import", params={"apiKey": account.api_key}, content=body.encode()
    ).json()
    assert again["added"] == 0
    assert again["alreadyStopped"] == 4
    history = http.get(
        "/v1/stop-sms/history", params={"apiKey": account.api_key, "phoneNumber": "0633333333"}
    ).json()
    assert [(event["type"], event["source"]) for event in history["data"]] == [
        ("opt_out", "import")
    ]


def test_import_many_lines_with_invalid_and_duplicate_lines(http, account):
    lines = [f"+3361{i:07d}" for i in range(50_000)]
    lines[10] = "garbage"
    lines[20] = lines[19]
    answer = http.post(
        "/v1/stop-sms/import",
        params={"apiKey": account.api_key},
        content=("\n".join(lines) + "\n").encode(),
        timeout=600,
    )
    report = answer.json()
    assert report["added"] == 49_998
    assert report["alreadyStopped"] == 1
    assert report["invalidLines"] == [
        {"line": 11, "input": "garbage", "code": 9, "reason": "not_a_number"}
    ]
    listed = http.get(
        "/v1/stop-sms/list", params={"apiKey": account.api_key, "limit": 1, "after": 0}
    ).json()
    assert listed["data"][0]["phoneNumber"] == "+33610000000"


def test_import_needs_a_key_outside_the_body(http, account):
    answer = http.post("/v1/stop-sms/import", content=b"0612345678\n")
    assert answer.status_code == 401
    assert answer.json()["code"] == 1


def test_openapi_describes_the_extensions(http):
    paths = http.get("/openapi.json").json()["paths"]
    for path in ("check", "filter", "export", "import"):
        assert f"/v1/stop-sms/{path}" in paths
    names = [p["name"] for p in paths["/v1/stop-sms/list"]["get"]["parameters"] if "name" in p]
    assert {"limit", "after", "since", "until"} <= set(names)


def test_filter_sees_every_change_made_since_the_last_filter(http, account):
    numbers = ["+33612345678", "+33698765432"]

    def statuses() -> list[str]:
        body = http.post(
            "/v1/stop-sms/filter", json={"apiKey": account.api_key, "phoneNumbers": numbers}
        ).json()
        return [item["status"] for item in body["data"]]

    assert statuses() == ["allowed", "allowed"]
    added = http.post(
        "/v1/stop-sms/add", json={"apiKey": account.api_key, "phoneNumber": numbers[1]}
    ).json()["stopId"]
    assert statuses() == ["allowed", "stopped"]
    http.post("/v1/stop-sms/delete", json={"apiKey": account.api_key, "id": added})
    assert statuses() == ["allowed", "allowed"]
    http.post("/v1/stop-sms/import", params={"apiKey": account.api_key}, content=b"0612345678")
    assert statuses() == ["stopped", "allowed"]
