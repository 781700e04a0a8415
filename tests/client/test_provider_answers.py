"""Answers as SMS Partner itself writes them: the seed's documented examples.

SMS Partner may answer an error with HTTP 200 and ``"success": false``, pads
its XML with whitespace, and ignores the paging extension; the client must
read all of that the same way. These answers are the seed's files, served by
an ``httpx.MockTransport`` standing in for the provider.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest

from stoplist.client import DEFAULT_BASE_URL, AsyncClient, Client, InvalidApiKey, Stop
from tests.client.blocking import Blocking
from tests.conftest import SEED_FIXTURES

SEED_STOP = Stop(
    19, "+33612345678", datetime(2015, 7, 20, 10, 19, 45, tzinfo=ZoneInfo("Europe/Paris"))
)


class Provider:
    """Serves one seed file with status 200 to every request, and counts them."""

    def __init__(self, name: str) -> None:
        self.body = (SEED_FIXTURES / name).read_bytes()
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(200, content=self.body)


def _clients(provider: Provider, fmt: str) -> list[object]:
    return [
        Client(api_key="key", format=fmt, transport=httpx.MockTransport(provider)),  # type: ignore[arg-type]
        Blocking(
            AsyncClient(api_key="key", format=fmt, transport=httpx.MockTransport(provider))  # type: ignore[arg-type]
        ),
    ]


def test_default_base_url_is_sms_partners(monkeypatch):
    monkeypatch.delenv("STOPLIST_BASE_URL", raising=False)
    assert DEFAULT_BASE_URL == "https://api.smspartner.fr/v1"
    with Client(api_key="key") as client:
        assert client.base_url == "https://api.smspartner.fr/v1/"


@pytest.mark.parametrize("make", [Client, AsyncClient])
def test_default_base_url_and_key_from_the_environment(monkeypatch, make):
    monkeypatch.setenv("STOPLIST_BASE_URL", "http://stoplist.internal:8080/v1")
    monkeypatch.setenv("STOPLIST_API_KEY", "sl_from_env")
    provider = Provider("list.json")
    client = make(format="json", transport=httpx.MockTransport(provider))
    assert client.base_url == "http://stoplist.internal:8080/v1/"
    calls = client if make is Client else Blocking(client)
    assert calls.list() == [SEED_STOP]
    calls.close()
    [request] = provider.requests
    assert request.url.host == "stoplist.internal"
    assert request.url.params["apiKey"] == "sl_from_env"
    explicit = make("http://127.0.0.1:9/v1", transport=httpx.MockTransport(lambda r: None))
    assert explicit.base_url == "http://127.0.0.1:9/v1/"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_reads_the_seed_list(fmt):
    provider = Provider(f"list.{fmt}")
    for client in _clients(provider, fmt):
        assert client.list() == [SEED_STOP]  # type: ignore[attr-defined]
        client.close()  # type: ignore[attr-defined]
    request = provider.requests[0]
    assert str(request.url).startswith("https://api.smspartner.fr/v1/stop-sms/list?")
    assert request.url.params["apiKey"] == "key"
    assert request.url.params.get("_format") == ("xml" if fmt == "xml" else None)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_iter_stops_falls_back_to_one_list_when_the_server_does_not_page(fmt):
    provider = Provider(f"list.{fmt}")
    for client in _clients(provider, fmt):
        assert list(client.iter_stops(page_size=1)) == [SEED_STOP]  # type: ignore[attr-defined]
        client.close()  # type: ignore[attr-defined]
    assert len(provider.requests) == 2  # one per client


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_error_with_status_200_raises_all_the_same(fmt):
    provider = Provider(f"error.{fmt}")
    for client in _clients(provider, fmt):
        with pytest.raises(InvalidApiKey) as caught:
            client.add("0612345678")  # type: ignore[attr-defined]
        assert caught.value.code == 10
        assert caught.value.message == "Clé API incorrecte"
        assert caught.value.status_code == 200
        client.close()  # type: ignore[attr-defined]
    assert len(provider.requests) == 2  # an error answer is never retried


def test_requests_name_the_client():
    provider = Provider("list.json")
    with Client(api_key="key", transport=httpx.MockTransport(provider)) as client:
        client.list()
    assert provider.requests[0].headers["user-agent"].startswith("stoplist-client/")


def test_mistakes_are_caught_before_anything_is_sent():
    provider = Provider("list.json")
    client = Client(api_key="key", transport=httpx.MockTransport(provider))
    with client, pytest.raises(TypeError):
        client.filter("0612345678")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Client(api_key="key", timezone="Mars/Olympus")
    with pytest.raises(ValueError):
        Client(api_key="key", format="yaml")  # type: ignore[arg-type]
    assert provider.requests == []
