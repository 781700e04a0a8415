"""Evidence requests take turns walking the chain, apart from the shared thread pool.

An evidence request walks its account's chain from the first event: seconds
on a long history. A few dozen at once on the pool every request shares
would hold all its threads, and every other page would wait behind them; a
burst of one account's must not hold up another account's evidence either.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anyio
import anyio.to_thread
import pytest
from starlette.requests import ClientDisconnect, Request

from stoplist.app import create_app
from stoplist.domain.accounts import Accounts
from stoplist.domain.imports import import_numbers
from stoplist.domain.stops import StopList
from stoplist.http import chain_walks

_EVENTS = 3_000
_BURST = 6


def _run(work: Any) -> Any:
    with ThreadPoolExecutor(1) as thread:  # the session's browser may hold this thread's loop
        return thread.submit(anyio.run, work).result()


def test_walks_take_turns_per_account_and_hold_none_of_the_shared_threads(db, account):
    numbers = [f"+336{n:08d}" for n in range(_EVENTS)]
    import_numbers(StopList(db, account.account), numbers)
    small = Accounts(db).create("walks-small").account
    StopList(db, small).add("+33611111111")

    async def connected() -> dict[str, str]:
        await anyio.sleep_forever()  # the client waits: nothing ever comes
        raise AssertionError

    request = Request({"type": "http", "app": create_app(db), "headers": []}, connected)
    seen: list[tuple[int, int]] = []
    done: list[str] = []

    async def walks() -> None:
        shared = anyio.to_thread.current_default_thread_limiter()

        async def one(who: Any, number: str, name: str) -> None:
            evidence = await chain_walks.evidence(request, db, who, number)
            assert len(evidence.items) == 1  # the number's one event, proved
            done.append(name)

        async with anyio.create_task_group() as tasks:
            for _ in range(_BURST):
                tasks.start_soon(one, account.account, numbers[-1], "burst")
            await anyio.sleep(0.01)  # the burst is queued
            tasks.start_soon(one, small, "+33611111111", "small")
            while len(done) < _BURST + 1:
                turns = chain_walks.turns_of(request.app.state)
                seen.append((shared.borrowed_tokens, turns.walks.borrowed_tokens))
                await anyio.sleep(0.002)

    _run(walks)
    assert max(shared for shared, _ in seen) == 0
    assert max(walking for _, walking in seen) <= chain_walks.WALKS_AT_ONCE == 2
    # The other account's walk went beside the burst, not behind it.
    assert done.index("small") <= 1, done
    assert chain_walks.turns_of(request.app.state).accounts == {}  # nothing left behind


def test_a_walk_whose_client_has_gone_is_not_made(db, account):
    async def gone() -> dict[str, str]:
        return {"type": "http.disconnect"}

    request = Request({"type": "http", "app": create_app(db), "headers": []}, gone)

    async def ask() -> None:
        await chain_walks.evidence(request, db, account.account, "+33611111111")

    with pytest.raises(ClientDisconnect):
        _run(ask)
