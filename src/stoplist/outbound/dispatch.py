"""The webhook dispatcher: sends what the outbox holds, off the request path.

It runs as a background task of ``stoplist serve`` (one per worker process;
claims keep them from sending the same row) and once from
``stoplist webhooks deliver``. Database calls run in worker threads and
sending is asynchronous with a bounded concurrency and timeout, so a slow or
dead receiver never holds up an inbound request.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from starlette.concurrency import run_in_threadpool

from stoplist import __version__, wording
from stoplist.domain import retention, webhooks
from stoplist.domain.inbound import flush_incomplete
from stoplist.domain.webhook_urls import RefusedUrl, check_url
from stoplist.domain.webhooks import AttemptResult, Claimed, Outbox
from stoplist.observability import metrics
from stoplist.observability.logs import log_failure
from stoplist.outbound.confirmations import ConfirmationSender
from stoplist.outbound.webhook_transport import RefusedDestination, describe, transport
from stoplist.outbound.worker import OutboxWorker
from stoplist.settings import Settings
from stoplist.storage.database import Database

logger = logging.getLogger("stoplist.webhooks")

TIMEOUT = 10.0
CONCURRENCY = 16
REFUSED_DESTINATION = "refused: the address is not public"
FLUSH_INTERVAL = 60.0
PURGE_INTERVAL = 3600.0


def outbox(db: Database, settings: Settings) -> Outbox:
    """The outbox with the configured lease, retry delay and retention."""
    return Outbox(
        db,
        lease_seconds=settings.webhook_lease_seconds,
        retry_base=settings.webhook_retry_seconds,
        retention_days=settings.retention_days,
    )


class Dispatcher(OutboxWorker[Claimed]):
    name = "webhook dispatch"
    logger = logger

    def __init__(self, db: Database, settings: Settings) -> None:
        super().__init__(
            outbox(db, settings), poll=settings.webhook_poll_seconds, concurrency=CONCURRENCY
        )
        self.lease_seconds = settings.webhook_lease_seconds
        self.allow_private = settings.webhook_allow_private

    async def attempt(self, client: httpx.AsyncClient, item: Claimed) -> AttemptResult:
        return await send(client, item)

    def client(self) -> httpx.AsyncClient:
        return _client(self.lease_seconds, self.allow_private)

    def recorded(self, item: Claimed, result: AttemptResult, status: str) -> None:
        metrics.webhook_delivery(status)
        if status != "delivered":
            logger.warning(
                "webhook delivery %d to endpoint %d failed (%s), now %s",
                item.delivery.id,
                item.delivery.endpoint_id,
                result.error or result.status_code,
                status,
            )


async def send(client: httpx.AsyncClient, item: Claimed) -> AttemptResult:
    """One signed POST; any answer but 2xx, and any error at all, is a failed attempt.

    Nothing that goes wrong with one delivery may escape from here: the whole
    batch is recorded together, so one bad URL would otherwise leave every
    other account's deliveries unrecorded, to be sent again after each lease.
    The recorded error is short and says what kind of failure it was, never
    more (it is shown to the account, who chose the URL).
    """
    started = time.perf_counter()
    status_code: int | None = None
    try:
        url = check_url(item.url, allow_private=True)
        body = item.delivery.payload
        headers = {
            "content-type": "application/json",
            "user-agent": f"stoplist/{__version__}",
            **webhooks.sign(item.secret, item.delivery.message_id, int(time.time()), body),
        }
        response = await client.post(url, content=body.encode(), headers=headers)
        status_code = response.status_code
        error = None if response.is_success else f"HTTP {response.status_code}"
    except RefusedUrl as exc:
        error = f"refused: {wording.refused_url(exc.reason, 'en')}"
    except RefusedDestination:
        error = REFUSED_DESTINATION
    except httpx.HTTPError as exc:
        error = describe(exc)
    except Exception:
        logger.exception("webhook delivery %d could not be sent", item.delivery.id)
        error = "the request could not be sent"
    duration_ms = int((time.perf_counter() - started) * 1000)
    return AttemptResult(status_code, error, duration_ms)


def _client(lease_seconds: float, allow_private: bool) -> httpx.AsyncClient:
    """Each attempt ends well within the claim lease, so no claim expires mid-send.

    Redirects are not followed: a 3xx is a failed attempt, so a receiver
    cannot send stoplist on to an address it would have refused.
    """
    timeout = min(TIMEOUT, lease_seconds / 2)
    return httpx.AsyncClient(
        timeout=timeout, follow_redirects=False, trust_env=False, transport=transport(allow_private)
    )


async def deliver_due(db: Database, settings: Settings) -> int:
    """One pass over the due deliveries (for the command line)."""
    async with _client(settings.webhook_lease_seconds, settings.webhook_allow_private) as client:
        return await Dispatcher(db, settings).run_once(client)


@asynccontextmanager
async def run_dispatcher(db: Database, settings: Settings) -> AsyncIterator[None]:
    """Run the background work of a server process for as long as the block lasts.

    That is the webhook dispatcher and the confirmation sender
    (``outbound.confirmations``; ``STOPLIST_WEBHOOK_DISPATCH=0`` turns both
    off, for deployments that run ``stoplist webhooks deliver`` from a
    scheduler instead), the sweep of incomplete long messages, and the
    removal of old finished deliveries.
    """
    tasks = [
        asyncio.create_task(_flush_incomplete_forever(db), name="stoplist-parts"),
        asyncio.create_task(_purge_forever(outbox(db, settings)), name="stoplist-purge"),
        asyncio.create_task(_retention_forever(db), name="stoplist-retention"),
    ]
    if settings.webhook_dispatch:
        dispatcher = Dispatcher(db, settings)
        tasks.append(asyncio.create_task(dispatcher.run_forever(), name="stoplist-webhooks"))
        sender = ConfirmationSender(db, settings)
        tasks.append(asyncio.create_task(sender.run_forever(), name="stoplist-confirmations"))
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def _purge_forever(outbox: Outbox) -> None:
    """Finished deliveries older than the retention period go, once an hour."""
    while True:
        try:
            purged = await run_in_threadpool(outbox.purge)
            if purged:
                logger.info("removed %d finished webhook deliveries", purged)
        except Exception as exc:
            log_failure(logger, "removing old webhook deliveries failed; retrying", exc)
        await asyncio.sleep(PURGE_INTERVAL)


async def _retention_forever(db: Database) -> None:
    """Message texts older than each account's retention period are blanked, once an hour."""
    while True:
        try:
            outcomes = await run_in_threadpool(retention.apply_everywhere, db)
            for outcome in outcomes:
                if outcome.texts_blanked or outcome.review_texts_blanked:
                    logger.info(
                        "account %d: blanked %d texts older than %d days",
                        outcome.account.id,
                        outcome.texts_blanked + outcome.review_texts_blanked,
                        outcome.retention_days,
                    )
        except Exception as exc:
            log_failure(logger, "blanking texts past their retention period failed; retrying", exc)
        await asyncio.sleep(PURGE_INTERVAL)


async def _flush_incomplete_forever(db: Database) -> None:
    """Long messages whose missing parts never came still reach the history."""
    while True:
        try:
            await run_in_threadpool(flush_incomplete, db)
        except Exception as exc:
            log_failure(logger, "recording incomplete long messages failed; retrying", exc)
        await asyncio.sleep(FLUSH_INTERVAL)
