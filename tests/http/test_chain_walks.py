"""Evidence requests take turns walking the chain, apart from the shared thread pool.

An evidence request walks its account's chain from the first event: seconds
on a long history. A few dozen at once on the pool every request shares
would hold all its threads, and every other page would wait behind them.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import anyio
import anyio.to_thread
from starlette.requests import Request

from stoplist.app import create_app
from stoplist.domain.imports import import_numbers
from stoplist.domain.stops import StopList
from stoplist.http import chain_walks

_EVENTS = 3_000
_AT_ONCE = 6


def test_walks_take_turns_and_hold_none_of_the_shared_threads(db, account):
    numbers = [f"+336{n:08d}" for n in range(_EVENTS)]
    import_numbers(StopList(db, account.account), numbers)
    request = Request({"type": "http", "app": create_app(db), "headers": []})
    seen: list[tuple[int, int]] = []

    async def walks() -> list[int]:
        shared = anyio.to_thread.current_default_thread_limiter()
        found: list[int] = []

        async def one() -> None:
            evidence = await chain_walks.evidence(request, db, account.account, numbers[-1])
            found.append(len(evidence.items))

        async with anyio.create_task_group() as tasks:
            for _ in range(_AT_ONCE):
                tasks.start_soon(one)
            while len(found) < _AT_ONCE:
                own = (
                    request.app.state.chain_walks
                    if hasattr(request.app.state, "chain_walks")
                    else None
                )
                seen.append((shared.borrowed_tokens, own.borrowed_tokens if own else 0))
                await anyio.sleep(0.002)
        return found

    with ThreadPoolExecutor(1) as thread:  # the session's browser may hold this thread's loop
        found = thread.submit(anyio.run, walks).result()
    assert found == [1] * _AT_ONCE  # each walk proved the number's one event
    assert max(shared for shared, _ in seen) == 0
    assert max(own for _, own in seen) == chain_walks.WALKS_AT_ONCE == 1
