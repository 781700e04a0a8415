"""Every client test runs with ``Client`` and ``AsyncClient``, in JSON and in XML."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from stoplist.client import AsyncClient, Client
from tests.client.blocking import Blocking
from tests.support import Server

MakeClient = Callable[..., Any]


@pytest.fixture(params=["sync-json", "sync-xml", "async-json", "async-xml"])
def make_client(request: pytest.FixtureRequest) -> Iterator[MakeClient]:
    """Build clients of this test's flavour; all are closed when the test ends."""
    mode, fmt = request.param.split("-")
    opened: list[Any] = []

    def make(base_url: str, api_key: str | None, **options: Any) -> Any:
        options = {"format": fmt, "retries": 0, "backoff": 0.01, **options}
        if mode == "sync":
            client: Any = Client(base_url, api_key, **options)
        else:
            client = Blocking(AsyncClient(base_url, api_key, **options))
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.close()


@pytest.fixture
def api_url(server: Server) -> str:
    return f"{server.base_url}/v1"


@pytest.fixture
def client(make_client: MakeClient, api_url: str, account: Any) -> Any:
    return make_client(api_url, account.api_key)
