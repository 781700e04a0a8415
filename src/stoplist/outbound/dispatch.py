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
import functools
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
from starlette.concurrency import run_in_threadpool

from stoplist import __version__, wording
from stoplist.domain import retention, webhooks
from stoplist.domain.inbound import flush_incomplete
from stoplist.domain.inbound_spool import InboundSpool
from stoplist.domain.webhook_urls import RefusedUrl, check_url
from stoplist.domain.webhooks import AttemptResult, Claimed, Outbox
from stoplist.observability import metrics
from stoplist.observability.logs import log_failure
from stoplist.outbound.attempts import IDENTITY, TIMEOUT, attempt_deadline, read_at_most
from stoplist.outbound.confirmations import ConfirmationSender
from stoplist.outbound.webhook_transport import RefusedDestination, describe, transport
from stoplist.outbound.worker import OutboxWorker
from stoplist.settings import Settings
from stoplist.storage.database import Database

logger = logging.getLogger("stoplist.webhooks")

CONCURRENCY = 16
MAX_ANSWER = 4096
"""Reading a receiver's answer stops once this much has come: enough to keep a connection
after a short answer."""
REFUSED_DESTINATION = "refused: the host has no public address"
FLUSH_INTERVAL = 60.0
DRAIN_INTERVAL = 0.5
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
        self.deadline = attempt_deadline(settings.webhook_lease_seconds)

    async def attempt(self, client: httpx.AsyncClient, item: Claimed) -> AttemptResult:
        return await send(client, item, self.deadline)

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


async def send(
    client: httpx.AsyncClient, item: Claimed, deadline: float = TIMEOUT
) -> AttemptResult:
    """One signed POST; any answer but 2xx, and any error at all, is a failed attempt.

    Nothing that goes wrong with one delivery may escape from here: attempts
    that end together are recorded together, so one bad URL would otherwise
    leave other accounts' deliveries unrecorded, to be sent again after each
    lease. The recorded error is short and says what kind of failure it was,
    never more (it is shown to the account, who chose the URL).

    ``deadline`` bounds the whole attempt, answer included: httpx's timeout
    is per read, which a receiver sending a byte every few seconds never
    reaches.
    """
    started = time.perf_counter()
    status_code: int | None = None
    try:
        url = check_url(item.url, allow_private=True)
        async with asyncio.timeout(deadline):
            status_code = await _post(client, url, item)
        error = None if httpx.codes.is_success(status_code) else f"HTTP {status_code}"
    except RefusedUrl as exc:
        error = f"refused: {wording.refused_url(exc.reason, 'en')}"
    except RefusedDestination:
        error = REFUSED_DESTINATION
    except TimeoutError:
        error = f"timed out: no complete answer within {deadline:g} s"
    except httpx.HTTPError as exc:
        error = describe(exc)
    except Exception:
        logger.exception("webhook delivery %d could not be sent", item.delivery.id)
        error = "the request could not be sent"
    duration_ms = int((time.perf_counter() - started) * 1000)
    return AttemptResult(status_code, error, duration_ms)


async def _post(client: httpx.AsyncClient, url: str, item: Claimed) -> int:
    """The answer's status code; its body is read as sent, and only until ``MAX_ANSWER``
    bytes have come.

    The receiver is chosen by the account, so its answer is never read
    whole (it could be gigabytes) nor decompressed (a small gzip body can
    inflate to gigabytes): compression is declined, and a body that claims
    one anyway stays as it came. Reading a short answer to its end lets the
    connection be kept for the next delivery; a longer one is cut off, and
    its connection closed.
    """
    body = item.delivery.payload
    headers = {
        "content-type": "application/json",
        "user-agent": f"stoplist/{__version__}",
        **IDENTITY,
        **webhooks.sign(item.secret, item.delivery.message_id, int(time.time()), body),
    }
    async with client.stream("POST", url, content=body.encode(), headers=headers) as response:
        await read_at_most(response, MAX_ANSWER)
        return response.status_code


def _client(lease_seconds: float, allow_private: bool) -> httpx.AsyncClient:
    """The client every attempt goes through; each attempt is also given an overall deadline
    (``send``), since httpx's timeout is per step.

    Redirects are not followed: a 3xx is a failed attempt, so a receiver
    cannot send stoplist on to an address it would have refused.
    """
    return httpx.AsyncClient(
        timeout=attempt_deadline(lease_seconds),
        follow_redirects=False,
        trust_env=False,
        transport=transport(allow_private),
    )


async def deliver_due(db: Database, settings: Settings) -> int:
    """One pass over the due deliveries (for the command line)."""
    async with _client(settings.webhook_lease_seconds, settings.webhook_allow_private) as client:
        return await Dispatcher(db, settings).run_once(client)


@asynccontextmanager
async def run_dispatcher(
    db: Database, settings: Settings, spool: InboundSpool | None = None
) -> AsyncIterator[None]:
    """Run the background work of a server process for as long as the block lasts.

    That is the webhook dispatcher and the confirmation sender
    (``outbound.confirmations``; ``STOPLIST_WEBHOOK_DISPATCH=0`` turns both
    off, for deployments that run ``stoplist webhooks deliver`` from a
    scheduler instead), the recording of spooled inbound messages and the
    removal of set-aside ones an erasure or retention reached, the sweep of
    incomplete long messages, and the removal of old finished deliveries.
    """
    # Long messages whose missing parts never came still reach the history.
    flush = functools.partial(flush_incomplete, db)
    purge = functools.partial(_purge, outbox(db, settings))
    tasks = [
        asyncio.create_task(
            _every(FLUSH_INTERVAL, "recording incomplete long messages failed; retrying", flush),
            name="stoplist-parts",
        ),
        asyncio.create_task(
            _every(PURGE_INTERVAL, "removing old webhook deliveries failed; retrying", purge),
            name="stoplist-purge",
        ),
        asyncio.create_task(
            _every(
                PURGE_INTERVAL,
                "blanking texts past their retention period failed; retrying",
                functools.partial(_apply_retention, db),
            ),
            name="stoplist-retention",
        ),
    ]
    if spool is not None:
        drain = functools.partial(_drain, spool)
        tasks += [
            asyncio.create_task(
                _every(
                    DRAIN_INTERVAL, "recording spooled inbound messages failed; retrying", drain
                ),
                name="stoplist-spool",
            ),
            asyncio.create_task(
                _every(
                    PURGE_INTERVAL,
                    "removing erased or expired set-aside inbound messages failed; retrying",
                    spool.tidy,
                ),
                name="stoplist-spool-tidy",
            ),
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


async def _every(seconds: float, failure: str, step: Callable[[], object]) -> None:
    """Run ``step`` in a worker thread every ``seconds``; a failure is logged and tried again."""
    while True:
        try:
            await run_in_threadpool(step)
        except Exception as exc:
            log_failure(logger, failure, exc)
        await asyncio.sleep(seconds)


def _purge(outbox: Outbox) -> None:
    """Finished deliveries older than the retention period go."""
    purged = outbox.purge()
    if purged:
        logger.info("removed %d finished webhook deliveries", purged)


def _apply_retention(db: Database) -> None:
    """Message texts older than each account's retention period are blanked."""
    for outcome in retention.apply_everywhere(db):
        if outcome.texts_blanked or outcome.review_texts_blanked:
            logger.info(
                "account %d: blanked %d texts older than %d days",
                outcome.account.id,
                outcome.texts_blanked + outcome.review_texts_blanked,
                outcome.retention_days,
            )


def _drain(spool: InboundSpool) -> None:
    """Spooled inbound messages are recorded as soon as their list is free (at start-up too)."""
    recorded = spool.drain()
    if recorded:
        logger.info("recorded %d spooled inbound messages", recorded)
