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

import logging
import time

import httpx
import orjson

from stoplist import __version__
from stoplist.domain.confirmations import AttemptResult, ClaimedSend, SendOutbox
from stoplist.observability import metrics
from stoplist.outbound.webhook_transport import describe
from stoplist.outbound.worker import OutboxWorker
from stoplist.settings import Settings
from stoplist.storage.database import Database

logger = logging.getLogger("stoplist.confirmations")

TIMEOUT = 10.0
CONCURRENCY = 8


class ConfirmationSender(OutboxWorker[ClaimedSend]):
    name = "sending confirmations"
    logger = logger

    def __init__(self, db: Database, settings: Settings) -> None:
        outbox = SendOutbox(
            db,
            lease_seconds=settings.webhook_lease_seconds,
            retry_base=settings.webhook_retry_seconds,
        )
        super().__init__(outbox, poll=settings.webhook_poll_seconds, concurrency=CONCURRENCY)
        self.url = settings.smspartner_url + "/send"
        self.timeout = min(TIMEOUT, settings.webhook_lease_seconds / 2)

    async def attempt(self, client: httpx.AsyncClient, item: ClaimedSend) -> AttemptResult:
        return await send(client, self.url, item)

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(timeout=self.timeout, follow_redirects=False, trust_env=False)

    def recorded(self, item: ClaimedSend, result: AttemptResult, status: str) -> None:
        metrics.confirmation_send(status)
        if status != "delivered":
            logger.warning(
                "confirmation %d failed (%s), now %s",
                item.confirmation.id,
                result.error or result.status_code,
                status,
            )


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
