"""The loop every outbox sender runs: claim what is due, send it, record the outcomes.

Webhook deliveries and confirmation sends differ in what one attempt is (a
signed POST to the account's URL, a ``POST /v1/send`` to SMS Partner) and
in what is logged of a failure; how they are claimed, bounded, recorded,
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

GATHER = 0.05
"""A burst of commits wakes a sender many times, and attempts end close together:
gather each into one batch."""

Item = TypeVar("Item")
Attempt = asyncio.Task[tuple[Item, AttemptResult]]


class Outbox(Protocol[Item]):
    def claim_due(self, limit: int) -> list[Item]: ...

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
        self.concurrency = concurrency
        self._wakeup = asyncio.Event()

    async def attempt(self, client: httpx.AsyncClient, item: Item) -> AttemptResult:
        raise NotImplementedError

    def client(self) -> httpx.AsyncClient:
        raise NotImplementedError

    def recorded(self, item: Item, result: AttemptResult, status: str) -> None:
        """Called for every outcome once it is recorded (``status``: the item's new state)."""

    async def run_once(self, client: httpx.AsyncClient) -> int:
        """Send every item due now, and what falls due meanwhile; returns how many were attempted.

        A place is refilled as soon as its attempt ends: outcomes are recorded
        and more items claimed while slower attempts go on, so one slow
        receiver holds up its own place, never another account's deliveries.
        No more is claimed than there are free places, so no claimed item
        spends its lease waiting for one.
        """
        total = 0
        running: set[Attempt[Item]] = set()
        try:
            while True:
                self._wakeup.clear()
                claimed = await self._claim(self.concurrency - len(running))
                total += len(claimed)
                running.update(asyncio.create_task(self._attempt(client, i)) for i in claimed)
                if not running:
                    return total
                finished = await self._finished(running)
                running -= finished
                await self._record([task.result() for task in finished])
        finally:
            await _cancel(running)

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

    async def _claim(self, places: int) -> list[Item]:
        if places <= 0:
            return []
        return await run_in_threadpool(self.outbox.claim_due, places)

    async def _attempt(self, client: httpx.AsyncClient, item: Item) -> tuple[Item, AttemptResult]:
        return item, await self.attempt(client, item)

    async def _finished(self, running: set[Attempt[Item]]) -> set[Attempt[Item]]:
        """The attempts that have ended, once one has, something was enqueued or ``poll`` passed.

        Whatever ends within ``GATHER`` after that is taken too, to be
        recorded in the same transaction.
        """
        woken = asyncio.ensure_future(self._wakeup.wait())
        try:
            await asyncio.wait(
                {*running, woken}, timeout=self.poll, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            woken.cancel()
        await asyncio.wait(running, timeout=GATHER)
        return {task for task in running if task.done()}

    async def _record(self, outcomes: list[tuple[Item, AttemptResult]]) -> None:
        if not outcomes:
            return
        statuses = await run_in_threadpool(self.outbox.complete, outcomes)
        for (item, result), status in zip(outcomes, statuses, strict=True):
            self.recorded(item, result, status)


async def _cancel(running: set[Attempt[Item]]) -> None:
    """Attempts still running when the loop ends are given up; their claims run out and they
    are sent again."""
    for task in running:
        task.cancel()
    await asyncio.gather(*running, return_exceptions=True)
