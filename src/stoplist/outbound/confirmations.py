"""Sending confirmations through SMS Partner's ``POST /v1/send``, off the request path.

It runs beside the webhook dispatcher in every ``stoplist serve`` process
(and stops with it under ``STOPLIST_WEBHOOK_DISPATCH=0``), wakes when an
inbound message queues a confirmation, and claims, backs off and retries
with the webhook outbox's rules (``domain.confirmations.SendOutbox``). The
SMS Partner base URL is ``STOPLIST_SMSPARTNER_URL``, a setting chosen by
whoever runs the server, so the destination rules of account-given webhook
URLs do not apply to it.

The account's API key travels in the JSON body, never in the URL, and is
never logged: what is recorded of a failure is its HTTP status, SMS
Partner's error code, or the kind of network error.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import httpx
import orjson
from starlette.concurrency import run_in_threadpool

from stoplist import __version__
from stoplist.domain import webhooks
from stoplist.domain.confirmations import AttemptResult, ClaimedSend, SendOutbox
from stoplist.observability.logs import log_failure
from stoplist.outbound.webhook_transport import describe
from stoplist.settings import Settings
from stoplist.storage.database import Database

logger = logging.getLogger("stoplist.confirmations")

TIMEOUT = 10.0
CONCURRENCY = 8
BATCH = 50
GATHER = 0.05
"""As the webhook dispatcher: gather a burst of wake-ups into one batch."""


class ConfirmationSender:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.outbox = SendOutbox(
            db,
            lease_seconds=settings.webhook_lease_seconds,
            retry_base=settings.webhook_retry_seconds,
        )
        self.url = settings.smspartner_url + "/send"
        self.poll = settings.webhook_poll_seconds
        self.timeout = min(TIMEOUT, settings.webhook_lease_seconds / 2)
        self._wakeup = asyncio.Event()
        self._limit = asyncio.Semaphore(CONCURRENCY)

    async def run_once(self, client: httpx.AsyncClient) -> int:
        """Send every confirmation due now; returns how many were attempted."""
        total = 0
        while True:
            claimed = await run_in_threadpool(self.outbox.claim_due, BATCH)
            if not claimed:
                return total
            total += len(claimed)
            results = await asyncio.gather(*(self._send(client, item) for item in claimed))
            outcomes = list(zip(claimed, results, strict=True))
            statuses = await run_in_threadpool(self.outbox.complete, outcomes)
            for (item, result), status in zip(outcomes, statuses, strict=True):
                if status != "delivered":
                    logger.warning(
                        "confirmation %d failed (%s), now %s",
                        item.confirmation.id,
                        result.error or result.status_code,
                        status,
                    )

    async def run_forever(self) -> None:
        loop = asyncio.get_running_loop()
        undo = webhooks.on_enqueued(lambda: loop.call_soon_threadsafe(self._wakeup.set))
        try:
            async with httpx.AsyncClient(
                timeout=self.timeout, follow_redirects=False, trust_env=False
            ) as client:
                while True:
                    self._wakeup.clear()
                    try:
                        await self.run_once(client)
                    except Exception as exc:
                        log_failure(logger, "sending confirmations failed; retrying", exc)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wakeup.wait(), self.poll)
                        await asyncio.sleep(GATHER)
        finally:
            undo()

    async def _send(self, client: httpx.AsyncClient, item: ClaimedSend) -> AttemptResult:
        async with self._limit:
            return await send(client, self.url, item)


async def send(client: httpx.AsyncClient, url: str, item: ClaimedSend) -> AttemptResult:
    """One ``POST /v1/send``; a non-2xx answer, ``"success": false`` or any error is a failure."""
    started = time.perf_counter()
    status_code: int | None = None
    row = item.confirmation
    body: dict[str, object] = {
        "apiKey": item.api_key,
        "phoneNumbers": row.phone_number,
        "message": row.text,
    }
    if row.sender:
        body["sender"] = row.sender
    try:
        response = await client.post(
            url,
            content=orjson.dumps(body),
            headers={"content-type": "application/json", "user-agent": f"stoplist/{__version__}"},
        )
        status_code = response.status_code
        error = None if response.is_success else f"HTTP {response.status_code}"
        if error is None:
            error = _refusal(response.content)
    except httpx.HTTPError as exc:
        error = describe(exc)
    except Exception:
        logger.exception("confirmation %d could not be sent", row.id)
        error = "the request could not be sent"
    duration_ms = int((time.perf_counter() - started) * 1000)
    return AttemptResult(status_code, error, duration_ms)


def _refusal(content: bytes) -> str | None:
    """SMS Partner's ``{"success": false, "code": N}`` in a 2xx answer, as an error."""
    try:
        answer = orjson.loads(content)
    except orjson.JSONDecodeError:
        return "not an SMS Partner answer"
    if isinstance(answer, dict) and answer.get("success") is True:
        return None
    code = answer.get("code") if isinstance(answer, dict) else None
    return f"SMS Partner code {code}" if isinstance(code, int) else "not an SMS Partner answer"
