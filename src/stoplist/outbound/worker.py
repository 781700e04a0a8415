"""The loop every outbox sender runs: claim what is due, send it, record the outcomes.

Webhook deliveries and confirmation sends differ in what one attempt is (a
signed POST to the account's URL, a ``POST /v1/send`` to SMS Partner) and
in what is logged of a failure; how they are claimed, batched, bounded,
woken and retried is the same, and lives here once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Generic, Protocol, TypeVar

import httpx
from starlette.concurrency import run_in_threadpool

from stoplist.domain import webhooks
from stoplist.domain.webhooks import AttemptResult
from stoplist.observability.logs import log_failure

BATCH = 50
GATHER = 0.05
"""A burst of commits wakes a sender many times: gather it into one batch."""

Item = TypeVar("Item")


class Outbox(Protocol[Item]):
    def claim_due(self, limit: int = BATCH) -> list[Item]: ...

    def complete(self, outcomes: list[tuple[Item, AttemptResult]]) -> list[str]: ...


class OutboxWorker(Generic[Item]):
    """Sends what ``outbox`` holds, ``concurrency`` at a time, waking on every enqueue.

    Subclasses say how one item is sent (``attempt``), what the HTTP client
    is (``client``) and what is noted of each outcome (``recorded``).
    """

    name = "outbox"
    logger = logging.getLogger("stoplist")

    def __init__(self, outbox: Outbox[Item], *, poll: float, concurrency: int) -> None:
        self.outbox = outbox
        self.poll = poll
        self._wakeup = asyncio.Event()
        self._limit = asyncio.Semaphore(concurrency)

    async def attempt(self, client: httpx.AsyncClient, item: Item) -> AttemptResult:
        raise NotImplementedError

    def client(self) -> httpx.AsyncClient:
        raise NotImplementedError

    def recorded(self, item: Item, result: AttemptResult, status: str) -> None:
        """Called for every outcome once it is recorded (``status``: the item's new state)."""

    async def run_once(self, client: httpx.AsyncClient) -> int:
        """Send every item due now; returns how many were attempted."""
        total = 0
        while True:
            claimed = await run_in_threadpool(self.outbox.claim_due, BATCH)
            if not claimed:
                return total
            total += len(claimed)
            results = await asyncio.gather(*(self._bounded(client, item) for item in claimed))
            outcomes = list(zip(claimed, results, strict=True))
            statuses = await run_in_threadpool(self.outbox.complete, outcomes)
            for (item, result), status in zip(outcomes, statuses, strict=True):
                self.recorded(item, result, status)

    async def run_forever(self) -> None:
        loop = asyncio.get_running_loop()
        undo = webhooks.on_enqueued(lambda: loop.call_soon_threadsafe(self._wakeup.set))
        try:
            async with self.client() as client:
                while True:
                    self._wakeup.clear()
                    try:
                        await self.run_once(client)
                    except Exception as exc:
                        log_failure(self.logger, f"{self.name} failed; retrying", exc)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wakeup.wait(), self.poll)
                        await asyncio.sleep(GATHER)
        finally:
            undo()

    async def _bounded(self, client: httpx.AsyncClient, item: Item) -> AttemptResult:
        async with self._limit:
            return await self.attempt(client, item)
