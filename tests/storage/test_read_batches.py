"""``ReadBatcher``: concurrent reads share statements, and none is answered from the past."""

import asyncio

import pytest

from stoplist.storage.read_batches import ReadBatcher
from tests.support import run_async


class Link:
    """A stand-in for a database connection: it answers with the state it finds at that moment."""

    def __init__(self, state: dict[str, int], log: list[list[str]]) -> None:
        self.state = state
        self.log = log
        self.broken = False
        self.closed = False


class Backend:
    def __init__(self) -> None:
        self.state: dict[str, int] = {}
        self.batches: list[list[str]] = []
        self.opened: list[Link] = []
        self.break_next = 0

    async def connect(self) -> Link:
        link = Link(self.state, self.batches)
        self.opened.append(link)
        return link

    async def fetch(self, link: Link, keys: list[str]) -> dict[str, int]:
        if self.break_next:
            self.break_next -= 1
            link.broken = True
            raise ConnectionError("server went away")
        snapshot = dict(self.state)  # the statement's view starts here
        self.batches.append(list(keys))
        await asyncio.sleep(0.01)  # the round trip
        return {key: snapshot[key] for key in keys if key in snapshot}

    async def close(self, link: Link) -> None:
        link.closed = True


def batcher(backend: Backend, senders: int = 2) -> ReadBatcher[Link, str, int]:
    return ReadBatcher(
        backend.connect,
        backend.fetch,
        backend.close,
        senders=senders,
        retry_on=(ConnectionError,),
    )


def test_concurrent_reads_share_statements():
    backend = Backend()
    backend.state.update({f"k{n}": n for n in range(100)})
    reads = batcher(backend)

    async def run() -> list[int | None]:
        return await asyncio.gather(*(reads.get(f"k{n % 120}") for n in range(500)))

    answers = run_async(run())
    assert answers == [n % 120 if n % 120 < 100 else None for n in range(500)]
    assert len(backend.batches) <= 3
    assert len(backend.opened) <= 2


def test_a_read_never_joins_a_statement_already_sent():
    """A change made after the first statement left is seen by every read asked after it."""
    backend = Backend()
    backend.state["k"] = 1
    reads = batcher(backend, senders=1)

    async def run() -> tuple[int | None, int | None]:
        first = asyncio.ensure_future(reads.get("k"))
        while not backend.batches:  # until the first statement is on its way
            await asyncio.sleep(0)
        backend.state["k"] = 2  # committed and acknowledged now
        second = await reads.get("k")
        return await first, second

    assert run_async(run()) == (1, 2)
    assert backend.batches == [["k"], ["k"]]


def test_a_broken_connection_is_replaced_and_the_batch_sent_again():
    backend = Backend()
    backend.state["k"] = 5
    backend.break_next = 1
    reads = batcher(backend)
    assert run_async(reads.get("k")) == 5
    assert backend.opened[0].broken and backend.opened[0].closed
    assert len(backend.opened) == 2


def test_an_error_twice_reaches_every_caller_and_the_next_read_works():
    backend = Backend()
    backend.state["k"] = 5
    reads = batcher(backend)

    async def run() -> list[object]:
        backend.break_next = 2
        failed = await asyncio.gather(reads.get("k"), reads.get("j"), return_exceptions=True)
        return [*failed, await reads.get("k")]

    first, second, after = run_async(run())
    assert isinstance(first, ConnectionError) and isinstance(second, ConnectionError)
    assert after == 5


def test_one_caller_giving_up_does_not_cancel_the_others():
    backend = Backend()
    backend.state["k"] = 3
    reads = batcher(backend)

    async def run() -> int | None:
        impatient = asyncio.ensure_future(reads.get("k"))
        patient = asyncio.ensure_future(reads.get("k"))
        await asyncio.sleep(0)
        impatient.cancel()
        with pytest.raises(asyncio.CancelledError):
            await impatient
        return await patient

    assert run_async(run()) == 3


def test_a_key_asked_twice_in_one_batch_is_read_once_and_answers_both():
    backend = Backend()
    backend.state.update({"k": 7, "j": 8})
    reads = batcher(backend, senders=1)

    async def run() -> list[int | None]:
        first = asyncio.ensure_future(reads.get("j"))
        while not backend.batches:  # the next batch gathers while this one is out
            await asyncio.sleep(0)
        rest = await asyncio.gather(reads.get("k"), reads.get("k"), reads.get("j"))
        return [await first, *rest]

    assert run_async(run()) == [8, 7, 7, 8]
    assert backend.batches == [["j"], ["k", "j"]]


def test_each_event_loop_opens_its_own_connections():
    backend = Backend()
    backend.state["k"] = 1
    reads = batcher(backend)
    assert run_async(reads.get("k")) == 1
    assert run_async(reads.get("k")) == 1
    assert len(backend.opened) == 2
