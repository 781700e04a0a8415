"""Integers and dates in dashboard URLs: anything but ASCII digits in range gets a 400 page."""

from __future__ import annotations

from datetime import date

import httpx
import pytest

from stoplist.web import params
from tests.support import Server
from tests.web.conftest import csrf_token_of, sign_in_http


@pytest.mark.parametrize("value", ["²", "١", "0", "-1", "1.5", "1e3", " ", "9" * 30, "1000001"])
def test_bad_page_numbers_are_refused(value):
    if not value.strip():
        assert params.page_number(value) == 1
        return
    with pytest.raises(params.BadParameter):
        params.page_number(value)


@pytest.mark.parametrize(
    "value", ["9999-12-31", "0001-01-01", "2024-02-30", "20240301", "2024-W01-1", "２０２４-01-01"]
)
def test_bad_days_are_refused(value):
    with pytest.raises(params.BadParameter):
        params.day("since", value)


def test_good_values_are_read():
    assert params.page_number("185") == 185
    assert params.day("until", " 2026-03-31 ") == date(2026, 3, 31)
    assert params.day("until", "") is None
    assert params.path_ids({"stop_id": "42", "other": "x"}) == {"stop_id": 42, "other": "x"}
    with pytest.raises(params.BadParameter):
        params.path_ids({"key_id": 2**63})


@pytest.fixture
def signed_in(server: Server, account):
    with httpx.Client(base_url=server.base_url, headers={"Accept-Language": "en"}) as client:
        sign_in_http(client, method="key", api_key=account.api_key)
        yield client


@pytest.mark.parametrize(
    "query",
    [
        "page=²",
        "page=١",
        "page=0",
        "page=" + "9" * 5000,
        "since=9999-12-31",
        "until=9999-12-31",
        "since=2024-02-30",
        "until=0001-01-01",
    ],
)
def test_the_list_answers_400_with_its_page_for_bad_parameters(signed_in, query):
    answer = signed_in.get("/dashboard/numbers?" + query)
    assert answer.status_code == 400
    assert 'role="alert"' in answer.text and "<h1>Stop list</h1>" in answer.text


def test_a_page_past_the_last_shows_the_last(signed_in):
    answer = signed_in.get("/dashboard/numbers?page=999999")
    assert answer.status_code == 200


@pytest.mark.parametrize("stop_id", ["9" * 30, "9223372036854775808", "١", "²"])
def test_ids_in_urls_out_of_range_answer_400(signed_in, stop_id):
    answer = signed_in.get(f"/dashboard/numbers/{stop_id}/remove")
    assert answer.status_code == 400 and "This address is not valid" in answer.text


@pytest.mark.parametrize("path", ["keys/{id}/revoke", "webhooks/{id}/remove"])
def test_settings_ids_out_of_range_answer_400(signed_in, path):
    token = csrf_token_of(signed_in.get("/dashboard/settings"))
    answer = signed_in.post(
        "/dashboard/settings/" + path.format(id="9" * 30), data={"csrf_token": token}
    )
    assert answer.status_code == 400 and "This address is not valid" in answer.text
