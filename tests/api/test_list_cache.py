"""Whole lists are sent from a kept copy on SQLite, and the copy is never stale."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from stoplist.api.list_cache import MIN_ROWS

LONG = [f"+3361{i:07d}" for i in range(MIN_ROWS)]


def _import(http: httpx.Client, api_key: str, numbers: list[str]) -> None:
    answer = http.post(
        "/v1/stop-sms/import",
        params={"apiKey": api_key},
        content="\n".join(numbers).encode(),
        timeout=120,
    )
    assert answer.json()["added"] == len(numbers)


def _whole(http: httpx.Client, api_key: str, fmt: str = "json") -> httpx.Response:
    answer = http.get("/v1/stop-sms/list", params={"apiKey": api_key, "_format": fmt})
    assert answer.status_code == 200
    return answer


def _kept(database_url: str, account_id: int) -> list[str]:
    if not database_url.startswith("sqlite"):
        return []
    directory = Path(database_url.removeprefix("sqlite:///") + "-lists")
    if not directory.exists():
        return []
    return sorted(path.name for path in directory.glob(f"list-{account_id}-*"))


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_long_list_is_the_same_answer_from_its_kept_copy(http, account, database_url, fmt):
    _import(http, account.api_key, LONG)
    first = _whole(http, account.api_key, fmt)
    again = _whole(http, account.api_key, fmt)
    assert again.content == first.content
    assert again.headers["content-type"] == first.headers["content-type"]
    if fmt == "json":
        assert first.json()["nbData"] == MIN_ROWS
    if database_url.startswith("sqlite"):
        assert "content-length" not in first.headers  # streamed from the database
        assert again.headers["content-length"] == str(len(first.content))  # sent from the copy
        assert len(_kept(database_url, account.account.id)) == 1
    else:
        assert "content-length" not in again.headers
        assert _kept(database_url, account.account.id) == []


def test_every_change_shows_in_the_next_whole_list(http, account):
    _import(http, account.api_key, LONG)
    _whole(http, account.api_key)
    _whole(http, account.api_key, "xml")

    added = http.post(
        "/v1/stop-sms/add", json={"apiKey": account.api_key, "phoneNumber": "+33699999999"}
    ).json()["stopId"]
    listed = _whole(http, account.api_key).json()
    assert listed["nbData"] == MIN_ROWS + 1
    assert listed["data"][-1]["phoneNumber"] == "+33699999999"
    assert "+33699999999" in _whole(http, account.api_key, "xml").text

    first_id = listed["data"][0]["id"]
    http.post("/v1/stop-sms/delete", json={"apiKey": account.api_key, "id": first_id})
    listed = _whole(http, account.api_key).json()
    assert listed["nbData"] == MIN_ROWS
    assert listed["data"][0]["id"] != first_id
    assert listed["data"][-1]["id"] == added

    _import(http, account.api_key, ["+33688888888"])
    listed = _whole(http, account.api_key).json()
    assert listed["nbData"] == MIN_ROWS + 1
    assert listed["data"][-1]["phoneNumber"] == "+33688888888"


def test_a_copy_belongs_to_its_account(http, account, other_account):
    _import(http, account.api_key, LONG)
    _import(http, other_account.api_key, LONG[:10])
    _whole(http, account.api_key)
    assert _whole(http, other_account.api_key).json()["nbData"] == 10
    assert _whole(http, account.api_key).json()["nbData"] == MIN_ROWS


def test_pages_bounds_and_short_lists_are_not_kept(http, account, database_url):
    _import(http, account.api_key, LONG[:100])
    _whole(http, account.api_key)
    assert _kept(database_url, account.account.id) == []
    _import(http, account.api_key, LONG[100:])
    for extra in ({"limit": 10}, {"after": 5}, {"since": "2000-01-01"}):
        answer = http.get("/v1/stop-sms/list", params={"apiKey": account.api_key, **extra})
        assert answer.status_code == 200
    assert _kept(database_url, account.account.id) == []


def test_only_the_newest_copy_is_kept(http, account, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("copies are kept only on SQLite")
    _import(http, account.api_key, LONG)
    _whole(http, account.api_key)
    before = _kept(database_url, account.account.id)
    http.post("/v1/stop-sms/add", json={"apiKey": account.api_key, "phoneNumber": "+33699999998"})
    _whole(http, account.api_key)
    after = _kept(database_url, account.account.id)
    assert len(before) == len(after) == 1
    assert before != after
