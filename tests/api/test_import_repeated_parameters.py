"""An import parameter sent twice is refused with code 91, and nothing is written.

``column=1&column=2`` or two ``file`` parts cannot be cut down to one value
without importing something the client may not have meant, and a success
would hide that the rest was left out.
"""

from __future__ import annotations

import httpx
import pytest

IMPORT = "/v1/stop-sms/import"
TWO_COLUMNS = b"home,mobile\n0611111111,0622222222\n0633333333,0644444444\n"
ENGLISH = {"Accept-Language": "en"}


def _refused_for(answer: httpx.Response, name: str, count: int = 2) -> None:
    assert answer.status_code == 400, answer.text
    assert answer.json() == {
        "success": False,
        "code": 91,
        "message": "Invalid parameter",
        "detail": f"{name} was sent {count} times, but only one is accepted",
    }


def _listed(http: httpx.Client, key: str) -> list[str]:
    answer = http.get("/v1/stop-sms/list", params={"apiKey": key}).json()
    return [entry["phoneNumber"] for entry in answer["data"]]


@pytest.mark.parametrize("name", ["column", "sheet", "filename"])
def test_a_repeated_query_parameter_is_refused(http, account, name):
    answer = http.post(
        IMPORT,
        params=[("apiKey", account.api_key), (name, "1"), (name, "2")],
        content=TWO_COLUMNS,
        headers=ENGLISH,
    )
    _refused_for(answer, name)
    assert _listed(http, account.api_key) == []


@pytest.mark.parametrize("name", ["column", "sheet"])
def test_a_repeated_form_field_is_refused(http, account, name):
    answer = http.post(
        IMPORT,
        params={"apiKey": account.api_key},
        data={name: ["1", "2"]},
        files={"file": ("list.csv", TWO_COLUMNS, "text/csv")},
        headers=ENGLISH,
    )
    _refused_for(answer, name)
    assert _listed(http, account.api_key) == []


@pytest.mark.parametrize("names", [("file", "file"), ("upload", "other")])
def test_two_file_parts_are_refused_and_neither_is_imported(http, account, names):
    """Without a ``file`` part the only file part is read; of two, neither is."""
    answer = http.post(
        IMPORT,
        params={"apiKey": account.api_key},
        files=[
            (names[0], ("a.csv", b"0611111111\n", "text/csv")),
            (names[1], ("b.csv", b"0622222222\n", "text/csv")),
        ],
        headers=ENGLISH,
    )
    _refused_for(answer, "file")
    assert _listed(http, account.api_key) == []


def test_each_parameter_once_still_imports(http, account):
    """A form field beside the same name in the query string is not a repetition: the field
    is read."""
    answer = http.post(
        IMPORT,
        params={"apiKey": account.api_key, "column": "home"},
        data={"column": "2"},
        files={"file": ("list.csv", TWO_COLUMNS, "text/csv")},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["column"] == "mobile"
    assert sorted(_listed(http, account.api_key)) == ["+33622222222", "+33644444444"]
