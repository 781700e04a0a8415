"""What every outbound attempt shares: how long it may take, and how much of the answer
is read.

Webhook receivers are chosen by accounts and SMS Partner's address by the
operator, but either can answer slowly or at length: httpx's timeout is per
read, which a server sending a byte every few seconds never reaches, and a
body read whole (or inflated from gzip) can be gigabytes. So each attempt
has an overall deadline, and answers are read raw, up to a limit.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator
from typing import cast

import httpx

TIMEOUT = 10.0
"""The longest an attempt may take, when the lease allows it."""

IDENTITY = {"accept-encoding": "identity"}
"""Headers that decline compression, so that an answer is read as sent."""


def attempt_deadline(lease_seconds: float) -> float:
    """How long one attempt may take: well within the claim lease, so no claim expires
    mid-send and nothing is sent twice at once."""
    return min(TIMEOUT, lease_seconds / 2)


async def read_at_most(response: httpx.Response, limit: int) -> bytes | None:
    """The raw body if it ends within ``limit`` bytes; None once more has come (the rest
    is left unread and the connection is not reused).

    httpx types ``aiter_raw`` as an iterator, but it is a generator, and one
    left suspended would only be closed whenever it is collected.
    """
    body = bytearray()
    raw = cast(AsyncGenerator[bytes, None], response.aiter_raw())
    async with contextlib.aclosing(raw) as chunks:
        async for chunk in chunks:
            body += chunk
            if len(body) > limit:
                return None
    return bytes(body)
