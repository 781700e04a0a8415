"""Driving the real ``AsyncClient`` from plain tests.

The client's event loop runs in a thread of its own for the client's whole
life, so these tests work even when something else in the process (a browser
test's driver, say) keeps a loop running on the main thread.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from stoplist.client import AsyncClient
from stoplist.client.models import Stop

T = TypeVar("T")


class Blocking:
    """Each coroutine method of the async client, run to completion."""

    def __init__(self, client: AsyncClient) -> None:
        self._client = client
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self._client, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            return self._run(method(*args, **kwargs))

        return call

    def iter_stops(self, **kwargs: Any) -> list[Stop]:
        async def collect() -> list[Stop]:
            return [stop async for stop in self._client.iter_stops(**kwargs)]

        return self._run(collect())

    def close(self) -> None:
        try:
            self._run(self._client.aclose())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            self._loop.close()
