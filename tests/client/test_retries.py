"""Network failures between the client and a real server, made by a real proxy.

Reads are retried; ``delete`` is not retried once the request may have
landed; ``add`` is retried and a lost first answer shows up as the existing
``stopId`` of code 3, which then is the answer.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from stoplist.client import AlreadyStopped, Client, TransportError
from tests.client.faulty_proxy import FaultyProxy


@pytest.fixture
def proxy(server) -> Iterator[FaultyProxy]:
    with FaultyProxy(f"{server.base_url}").running() as running:
        yield running


@pytest.fixture
def direct(make_client, api_url, account):
    return make_client(api_url, account.api_key)


@pytest.fixture
def flaky(make_client, proxy, account):
    return make_client(f"{proxy.base_url}/v1", account.api_key, retries=3)


def test_list_is_retried_after_failures(flaky, direct, proxy):
    stop_id = direct.add("0612345678")
    proxy.faults = ["drop_after", "truncate", "drop_before"]
    assert [s.id for s in flaky.list()] == [stop_id]
    assert proxy.requests_to("/stop-sms/list") == 4


def test_list_gives_up_after_its_retries(make_client, proxy, account):
    client = make_client(f"{proxy.base_url}/v1", account.api_key, retries=2)
    proxy.always = "truncate"
    with pytest.raises(TransportError) as caught:
        client.list()
    assert caught.value.code is None
    assert proxy.requests_to("/stop-sms/list") == 3


def test_history_is_retried(flaky, direct, proxy):
    direct.add("0612345678")
    proxy.faults = ["drop_after"]
    assert flaky.history("0612345678").stopped is True
    assert proxy.requests_to("/stop-sms/history") == 2


def test_add_whose_answer_was_lost_returns_the_stop_it_made(flaky, direct, proxy):
    proxy.faults = ["drop_after"]
    stop_id = flaky.add("0612345678")
    assert proxy.requests_to("/stop-sms/add") == 2
    assert [(s.id, s.phone_number) for s in direct.list()] == [(stop_id, "+33612345678")]


def test_add_never_sent_is_simply_sent_again(flaky, direct, proxy):
    proxy.faults = ["drop_before"]
    stop_id = flaky.add("0612345678")
    assert [s.id for s in direct.list()] == [stop_id]


def test_add_of_a_number_already_stopped_still_says_so(flaky, direct):
    stop_id = direct.add("0612345678")
    with pytest.raises(AlreadyStopped) as caught:
        flaky.add("0612345678")
    assert caught.value.stop_id == stop_id


def test_delete_is_not_retried_once_it_may_have_landed(flaky, direct, proxy):
    stop_id = direct.add("0612345678")
    proxy.faults = ["drop_after"]
    with pytest.raises(TransportError):
        flaky.delete(stop_id)
    assert proxy.requests_to("/stop-sms/delete") == 1
    assert direct.list() == []


def test_connection_refused_is_a_transport_error(make_client, account):
    from tests.support import free_port

    client = make_client(f"http://127.0.0.1:{free_port()}/v1", account.api_key, retries=1)
    with pytest.raises(TransportError):
        client.delete(1)


def test_retries_are_refused_below_zero():
    with pytest.raises(ValueError):
        Client("http://127.0.0.1:1/v1", "key", retries=-1)
