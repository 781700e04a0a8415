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
Partner's error code, or the kind of network error. Each attempt has the
webhooks' overall deadline and reads at most ``MAX_ANSWER`` of the answer
(``outbound.attempts``): a send that outlived its claim would be sent twice.
"""

from __future__ import annotations

import asyncio
import logging
import time

import httpx
import orjson

from stoplist import __version__
from stoplist.domain.confirmations import AttemptResult, ClaimedSend, SendOutbox
from stoplist.observability import metrics
from stoplist.outbound.attempts import IDENTITY, TIMEOUT, attempt_deadline, read_at_most
from stoplist.outbound.webhook_transport import describe
from stoplist.outbound.worker import OutboxWorker
from stoplist.settings import Settings
from stoplist.storage.database import Database

logger = logging.getLogger("stoplist.confirmations")

CONCURRENCY = 8
MAX_ANSWER = 65_536
"""SMS Partner answers a send in a few hundred bytes; a longer answer is not its answer."""


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
        self.deadline = attempt_deadline(settings.webhook_lease_seconds)

    async def attempt(self, client: httpx.AsyncClient, item: ClaimedSend) -> AttemptResult:
        return await send(client, self.url, item, self.deadline)

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(timeout=self.deadline, follow_redirects=False, trust_env=False)

    def recorded(self, item: ClaimedSend, result: AttemptResult, status: str) -> None:
        metrics.confirmation_send(status)
        if status != "delivered":
            logger.warning(
                "confirmation %d failed (%s), now %s",
                item.confirmation.id,
                result.error or result.status_code,
                status,
            )


async def send(
    client: httpx.AsyncClient, url: str, item: ClaimedSend, deadline: float = TIMEOUT
) -> AttemptResult:
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
    headers = {
        "content-type": "application/json",
        "user-agent": f"stoplist/{__version__}",
        **IDENTITY,
    }
    try:
        async with (
            asyncio.timeout(deadline),
            client.stream("POST", url, content=orjson.dumps(body), headers=headers) as response,
        ):
            status_code = response.status_code
            answer = await read_at_most(response, MAX_ANSWER)
        if not response.is_success:
            error: str | None = f"HTTP {response.status_code}"
        elif answer is None:
            error = f"not an SMS Partner answer (over {MAX_ANSWER} bytes)"
        else:
            error = _refusal(answer)
    except TimeoutError:
        error = f"timed out: no complete answer within {deadline:g} s"
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
