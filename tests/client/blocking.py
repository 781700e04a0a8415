"""Driving the real ``AsyncClient`` from plain tests, on one event loop for its life."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from stoplist.client import AsyncClient
from stoplist.client.models import Stop


class Blocking:
    """Each coroutine method of the async client, run to completion."""

    def __init__(self, client: AsyncClient) -> None:
        self._client = client
        self._loop = asyncio.new_event_loop()

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self._client, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            return self._loop.run_until_complete(method(*args, **kwargs))

        return call

    def iter_stops(self, **kwargs: Any) -> list[Stop]:
        async def collect() -> list[Stop]:
            return [stop async for stop in self._client.iter_stops(**kwargs)]

        return self._loop.run_until_complete(collect())

    def close(self) -> None:
        self._loop.run_until_complete(self._client.aclose())
        self._loop.close()
