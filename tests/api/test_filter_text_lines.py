"""A text filter body answers one item per line, as the same lines in a JSON array do.

A client reads the answer's ``data[i]`` as the verdict on its line ``i``: a
blank line dropped would pair every later line with its neighbour's verdict.
"""

from __future__ import annotations

import pytest

FILTER = "/v1/stop-sms/filter"


def _text_filter(http, account, body: bytes) -> dict:
    answer = http.post(
        FILTER,
        params={"apiKey": account.api_key},
        content=body,
        headers={"Content-Type": "text/plain"},
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def _json_filter(http, account, numbers: list[str]) -> dict:
    answer = http.post(FILTER, json={"apiKey": account.api_key, "phoneNumbers": numbers})
    assert answer.status_code == 200, answer.text
    return answer.json()


@pytest.mark.parametrize("line_end", [b"\n", b"\r\n"])
def test_a_blank_line_is_an_invalid_item_in_its_place(http, account, line_end):
    body = line_end.join([b"0600000001", b"", b"0612345678"]) + line_end
    as_text = _text_filter(http, account, body)
    assert as_text["nbData"] == 3
    assert [item["status"] for item in as_text["data"]] == ["allowed", "invalid", "allowed"]
    assert as_text["data"][1]["input"] == ""
    assert as_text["data"][2]["phoneNumber"] == "+33612345678"
    assert as_text == _json_filter(http, account, ["0600000001", "", "0612345678"])


def test_the_last_line_end_is_not_an_item(http, account):
    for body in (b"0600000001\n0612345678", b"0600000001\n0612345678\n"):
        assert _text_filter(http, account, body)["nbData"] == 2
    assert _text_filter(http, account, b"0600000001\r\n0612345678\r\n")["nbData"] == 2


def test_a_line_of_spaces_is_a_blank_item(http, account):
    answer = _text_filter(http, account, b"0600000001\n   \n0612345678\n")
    assert answer["counts"] == {"allowed": 2, "stopped": 0, "invalid": 1}
    assert answer["data"][1]["input"] == ""
