"""Evidence, one chain walk at a time per process.

Proving a number's evidence walks its account's hash chain from the first
event (``domain.audit.evidence``): seconds on a history of hundreds of
thousands of events. Run on the thread pool every request shares, a few
dozen of them at once would hold all its threads, and every other page of
every account would wait behind them. Walks take turns on a limiter of
their own instead: a request waiting for its turn holds no thread, and
everything else goes on as usual.
"""

from __future__ import annotations

import functools

import anyio.to_thread
from starlette.requests import Request

from stoplist.domain import audit
from stoplist.records.models import Account
from stoplist.storage.database import Database

WALKS_AT_ONCE = 1


async def evidence(request: Request, db: Database, account: Account, raw: object) -> audit.Evidence:
    """``audit.evidence`` of ``raw``, when the process's chain walk is free."""
    state = request.app.state
    limiter = getattr(state, "chain_walks", None)
    if limiter is None:
        limiter = state.chain_walks = anyio.CapacityLimiter(WALKS_AT_ONCE)
    work = functools.partial(audit.evidence, db, account, raw)
    return await anyio.to_thread.run_sync(work, limiter=limiter)
