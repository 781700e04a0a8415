"""Evidence, its chain walks taking turns: one per account, two per process.

Proving a number's evidence walks its account's hash chain from the first
event (``domain.audit.evidence``): seconds on a history of hundreds of
thousands of events. Run on the thread pool every request shares, a few
dozen of them at once would hold all its threads, and every other page of
every account would wait behind them. So walks take turns apart from that
pool: an account walks one chain at a time, and a process two, so that one
account's burst leaves the other slot to everyone else. A request waiting
for its turn holds no thread, and one whose client has gone by then is
dropped without walking.
"""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass, field

import anyio
import anyio.to_thread
from starlette.datastructures import State
from starlette.requests import ClientDisconnect, Request

from stoplist.domain import audit
from stoplist.records.models import Account
from stoplist.storage.database import Database

WALKS_AT_ONCE = 2
"""Chain walks a process runs at once (one per account)."""


@dataclass
class Turns:
    """The walks under way in one process, and those waiting, by account."""

    walks: anyio.CapacityLimiter = field(
        default_factory=lambda: anyio.CapacityLimiter(WALKS_AT_ONCE)
    )
    threads: anyio.CapacityLimiter = field(
        default_factory=lambda: anyio.CapacityLimiter(WALKS_AT_ONCE)
    )
    accounts: dict[int, anyio.Lock] = field(default_factory=dict)
    asking: Counter[int] = field(default_factory=Counter)


def turns_of(state: State) -> Turns:
    """The process's turns, kept on the application's state (made on first use, in its loop)."""
    turns: Turns | None = getattr(state, "chain_walks", None)
    if turns is None:
        turns = state.chain_walks = Turns()
    return turns


async def evidence(request: Request, db: Database, account: Account, raw: object) -> audit.Evidence:
    """``audit.evidence`` of ``raw``, in its turn; ``ClientDisconnect`` if no one waits by then."""
    turns = turns_of(request.app.state)
    mine = turns.accounts.setdefault(account.id, anyio.Lock())
    turns.asking[account.id] += 1
    try:
        async with mine, turns.walks:
            if await request.is_disconnected():
                raise ClientDisconnect()
            work = functools.partial(audit.evidence, db, account, raw)
            return await anyio.to_thread.run_sync(work, limiter=turns.threads)
    finally:
        turns.asking[account.id] -= 1
        if not turns.asking[account.id]:
            del turns.asking[account.id], turns.accounts[account.id]
