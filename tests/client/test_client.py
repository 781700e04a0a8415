"""The client against a real ``stoplist serve``: every method, every error code.

Each test runs with the sync and async clients, in JSON and XML, on SQLite
and PostgreSQL (see conftest).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from stoplist.client import (
    AlreadyStopped,
    ApiKeyRequired,
    Check,
    InvalidApiKey,
    InvalidPhoneNumber,
    PhoneNumberRequired,
    Stop,
    StoplistError,
    StopNotFound,
)

PARIS = ZoneInfo("Europe/Paris")


def test_add_list_delete(client):
    first = client.add("0612345678")
    second = client.add("+33 6 98 76 54 32")
    stops = client.list()
    assert [(s.id, s.phone_number) for s in stops] == [
        (first, "+33612345678"),
        (second, "+33698765432"),
    ]
    assert all(isinstance(s, Stop) for s in stops)
    client.delete(first)
    assert [s.id for s in client.list()] == [second]


def test_created_at_is_an_aware_datetime_in_the_accounts_zone(client):
    client.add("0612345678")
    (stop,) = client.list()
    assert stop.created_at.tzinfo == PARIS
    # Read in the wrong zone, the instant would be an hour or more away.
    assert abs(stop.created_at - datetime.now(UTC)) < timedelta(minutes=10)


def test_empty_list(client):
    assert client.list() == []
    assert list(client.iter_stops()) == []


def test_iter_stops_returns_every_entry_in_id_order(client):
    ids = [client.add(f"061234567{digit}") for digit in range(5)]
    assert [s.id for s in client.iter_stops(page_size=2)] == ids
    assert [s.id for s in client.iter_stops()] == ids


def test_list_page_uses_the_paging_extension(client):
    ids = [client.add(f"061234567{digit}") for digit in range(3)]
    page = client.list_page(limit=2)
    assert page.paged
    assert [s.id for s in page.stops] == ids[:2]
    assert page.next_after == ids[1]
    last = client.list_page(limit=2, after=page.next_after)
    assert [s.id for s in last.stops] == ids[2:]
    assert last.next_after is None


def test_add_twice_gives_the_existing_id(client):
    stop_id = client.add("0612345678")
    with pytest.raises(AlreadyStopped) as caught:
        client.add("06 12 34 56 78")
    assert caught.value.stop_id == stop_id
    assert caught.value.code == 3
    assert caught.value.message


def test_missing_api_key(make_client, api_url, monkeypatch):
    monkeypatch.delenv("STOPLIST_API_KEY", raising=False)
    with pytest.raises(ApiKeyRequired) as caught:
        make_client(api_url, None).list()
    assert caught.value.code == 1
    assert caught.value.status_code == 401


def test_invalid_api_key(make_client, api_url):
    with pytest.raises(InvalidApiKey) as caught:
        make_client(api_url, "sl_not-a-key").add("0612345678")
    assert caught.value.code == 10
    assert caught.value.message == "Clé API incorrecte"


def test_api_key_from_the_environment(make_client, api_url, account, monkeypatch):
    monkeypatch.setenv("STOPLIST_API_KEY", account.api_key)
    client = make_client(api_url, None)
    stop_id = client.add("0612345678")
    assert [s.id for s in client.list()] == [stop_id]


def test_phone_number_required(client):
    with pytest.raises(PhoneNumberRequired) as caught:
        client.add("")
    assert caught.value.code == 2


def test_invalid_phone_number(client):
    with pytest.raises(InvalidPhoneNumber) as caught:
        client.add("12")
    assert caught.value.code == 9
    assert client.list() == []


def test_delete_unknown_id(client):
    with pytest.raises(StopNotFound) as caught:
        client.delete(987654321)
    assert caught.value.code == 4
    assert caught.value.status_code == 404


def test_delete_another_accounts_entry_is_not_found(make_client, api_url, client, other_account):
    theirs = make_client(api_url, other_account.api_key).add("0612345678")
    with pytest.raises(StopNotFound):
        client.delete(theirs)
    assert [s.id for s in make_client(api_url, other_account.api_key).list()] == [theirs]


def test_every_error_is_a_stoplist_error(client):
    with pytest.raises(StoplistError):
        client.delete(987654321)


def test_check(client):
    stop_id = client.add("0612345678")
    stopped = client.check("06 12 34 56 78")
    assert isinstance(stopped, Check)
    assert stopped.stopped is True
    assert stopped.phone_number == "+33612345678"
    assert stopped.stop_id == stop_id
    assert stopped.created_at is not None and stopped.created_at.tzinfo == PARIS
    free = client.check("0698765432")
    assert free == Check("+33698765432", False)


def test_check_errors(client):
    with pytest.raises(InvalidPhoneNumber):
        client.check("12")
    with pytest.raises(PhoneNumberRequired):
        client.check("")


def test_filter(client):
    stop_id = client.add("0612345678")
    result = client.filter(["0611111111", "+33612345678", "12"])
    assert (result.allowed, result.stopped, result.invalid) == (1, 1, 1)
    allowed, stopped, invalid = result.items
    assert (allowed.status, allowed.phone_number) == ("allowed", "+33611111111")
    assert (stopped.status, stopped.phone_number, stopped.stop_id) == (
        "stopped",
        "+33612345678",
        stop_id,
    )
    assert (invalid.status, invalid.input, invalid.code) == ("invalid", "12", 9)
    assert (invalid.reason, invalid.detail) == ("too_short", "trop court")
    assert result.allowed_numbers == ["+33611111111"]


def test_history(client):
    stop_id = client.add("0612345678")
    client.delete(stop_id)
    again = client.add("0612345678")
    history = client.history("06 12 34 56 78")
    assert history.phone_number == "+33612345678"
    assert history.stopped is True
    assert history.stop_id == again
    assert [(e.type, e.source) for e in history.events] == [
        ("opt_out", "api"),
        ("opt_in", "api"),
        ("opt_out", "api"),
    ]
    assert all(e.event_at and e.event_at.tzinfo == PARIS for e in history.events)


def test_history_of_a_number_never_stopped(client):
    history = client.history("0698765432")
    assert (history.stopped, history.stop_id, history.events) == (False, None, [])


def test_history_errors(client):
    with pytest.raises(InvalidPhoneNumber):
        client.history("12")
