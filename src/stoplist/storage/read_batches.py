"""Concurrent reads of one kind gathered into one statement, on the event loop.

Under load a node is asked hundreds of times at once for the same kind of
row (the account behind a key, a number's entry). Sent one by one, each
costs a round trip and the server's work for a statement; gathered, the
requests that arrive while a statement is in flight all go in the next one,
so a round trip serves as many of them as arrived meanwhile.

A request only ever joins a batch that has not been sent yet: the statement
that answers it starts after it was asked, so it sees every transaction
committed before.

Each request waits on a future of its own, set straight from the batch's
answer: no future is shared between callers (so one caller giving up cancels
nothing but its own wait, without a shield and its extra future and callback
per request), and a key asked twice in one batch is read once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
C = TypeVar("C")

_Batch = list[tuple[K, "asyncio.Future[V | None]"]]
Fetch = Callable[[C, list[K]], Awaitable[dict[K, V]]]
"""Runs one statement for a batch of keys on a connection; keys it leaves out get None."""


class ReadBatcher(Generic[C, K, V]):
    """Gathers ``get(key)`` calls into batches sent on at most ``senders`` connections.

    ``connect`` opens a connection and ``fetch`` runs a batch on it. A batch
    that fails on a connection (the server restarted, say) is sent once more
    on a new one; if that fails too, each caller of the batch gets the error.
    The idle connections go with the failed one: what broke it (a restart,
    the backends terminated) broke them too, and the retry must not land on one.
    """

    def __init__(
        self,
        connect: Callable[[], Awaitable[C]],
        fetch: Fetch[C, K, V],
        close: Callable[[C], Awaitable[None]],
        *,
        senders: int = 2,
        retry_on: tuple[type[BaseException], ...] = (),
    ) -> None:
        self._connect = connect
        self._fetch = fetch
        self._close = close
        self._senders = senders
        self._retry_on = retry_on
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: _Batch[K, V] | None = None
        self._idle: list[C] = []
        self._busy = 0
        self._tasks: set[asyncio.Task[None]] = set()

    async def get(self, key: K) -> V | None:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._forget_loop(loop)
        pending = self._pending
        if pending is None:
            pending = self._pending = []
            if self._busy < self._senders:
                self._start_sender()
        future: asyncio.Future[V | None] = loop.create_future()
        pending.append((key, future))
        return await future

    async def aclose(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            await self._close(connection)

    def _forget_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        """Connections belong to the loop that opened them; a new loop opens its own."""
        self._loop = loop
        self._pending = None
        self._idle = []
        self._busy = 0
        self._tasks = set()

    def _start_sender(self) -> None:
        self._busy += 1
        task = asyncio.get_running_loop().create_task(self._send())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(self) -> None:
        connection: C | None = None
        try:
            while self._pending:
                batch, self._pending = self._pending, None
                connection = await self._run(connection, batch)
        finally:
            self._busy -= 1
            if connection is not None:
                self._idle.append(connection)

    async def _run(self, connection: C | None, batch: _Batch[K, V]) -> C | None:
        """Answers the batch; returns the connection to go on with (None: none left)."""
        keys = list(dict.fromkeys(key for key, _ in batch))
        try:
            for attempt in (1, 2):
                try:
                    if connection is None:
                        connection = self._idle.pop() if self._idle else await self._connect()
                    rows = await self._fetch(connection, keys)
                    break
                except self._retry_on:
                    if connection is not None:
                        await self._discard(connection)
                        connection = None
                    idle, self._idle = self._idle, []
                    for stale in idle:
                        await self._discard(stale)
                    if attempt == 2:
                        raise
        except Exception as error:
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return connection
        except BaseException:
            for _, future in batch:
                future.cancel()
            raise
        for key, future in batch:
            if not future.done():
                future.set_result(rows.get(key))
        return connection

    async def _discard(self, connection: C) -> None:
        with contextlib.suppress(Exception):  # a broken connection may fail to close
            await self._close(connection)
