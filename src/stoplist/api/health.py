"""``/readyz`` and ``/metrics``: what load balancers and Prometheus ask.

``/healthz`` (in ``app``) only says the process answers. ``/readyz`` says
whether this process can do its job: the database answers, its schema is at
the revision this code expects, and (SQLite) the file takes writes. A
failure answers 503 with each check's result, so the reason is in the body.
"""

from __future__ import annotations

import asyncio
import hmac
import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from stoplist.domain import review
from stoplist.domain.confirmations import SendOutbox
from stoplist.domain.inbound_spool import InboundSpool
from stoplist.domain.webhooks import Outbox
from stoplist.http.call import header_api_key
from stoplist.observability import metrics
from stoplist.observability.database_errors import DATABASE_ERRORS, error_kind
from stoplist.storage.database import HEAD_REVISION, Database
from stoplist.storage.readiness import Probe, probe

PROBE_TIMEOUT = 2.0
"""Seconds the database has to answer ``/readyz``; a slower one counts as down."""

logger = logging.getLogger("stoplist.metrics")


async def readyz(request: Request) -> Response:
    db: Database = request.app.state.db
    checks = {"database": "ok", "migrations": "ok"}
    try:
        result: Probe = await asyncio.wait_for(
            run_in_threadpool(probe, db, PROBE_TIMEOUT), PROBE_TIMEOUT * 2
        )
    except TimeoutError:
        checks["database"] = "no answer within the timeout"
        checks["migrations"] = "unknown"
    except DATABASE_ERRORS as exc:
        kind = error_kind(exc)
        metrics.database_error(kind)
        checks["database"] = f"unavailable ({kind})"
        checks["migrations"] = "unknown"
    else:
        if result.revision != HEAD_REVISION:
            found = result.revision or "none"
            checks["migrations"] = f"at {found}, expected {HEAD_REVISION}"
        if db.is_sqlite:
            checks["writable"] = "ok" if result.writable else "read-only"
        elif not result.writable:
            checks["database"] = "read-only"
    failed = [name for name, value in checks.items() if value != "ok"]
    body: dict[str, object] = {"status": "unavailable" if failed else "ok", "checks": checks}
    if failed:
        body["failed"] = failed
    return JSONResponse(body, status_code=503 if failed else 200)


async def metrics_page(request: Request) -> Response:
    """Every worker's counts, plus the outboxes and review queue read from the database now."""
    token = request.app.state.settings.metrics_token_value
    if token and not _authorized(request, token):
        return JSONResponse(
            {"success": False, "code": 401, "message": "A bearer token is required"},
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    gauges = await run_in_threadpool(_database_gauges, request.app.state.db)
    gauges += await run_in_threadpool(_spool_gauges, request.app.state.inbound_spool)
    body, content_type = await run_in_threadpool(metrics.exposition, gauges)
    return Response(body, media_type=content_type)


def _authorized(request: Request, token: str) -> bool:
    sent = header_api_key(request.headers.get("authorization", ""), "") or ""
    return hmac.compare_digest(sent.encode(), token.encode())


def _spool_gauges(spool: InboundSpool | None) -> list[metrics.Gauge]:
    if spool is None:
        return []
    try:
        waiting, aside = len(spool.spool), spool.spool.set_aside_count()
    except OSError as exc:
        logger.warning("cannot read the inbound spool: %s", exc.strerror or exc)
        return []
    return [
        metrics.Gauge(
            "stoplist_inbound_spooled",
            "Inbound messages in this machine's spool, waiting for their list to be free.",
            waiting,
        ),
        metrics.Gauge(
            "stoplist_inbound_spool_set_aside",
            "Spooled inbound messages that could not be recorded, set aside for a person.",
            aside,
        ),
    ]


def _database_gauges(db: Database) -> list[metrics.Gauge]:
    try:
        depth, age = Outbox(db).backlog()
        sends, send_age = SendOutbox(db).backlog()
        queued = review.overdue_total(db)
    except DATABASE_ERRORS as exc:
        metrics.database_error(error_kind(exc))
        return [metrics.Gauge("stoplist_database_up", "1 when the database answered.", 0)]
    return [
        metrics.Gauge("stoplist_database_up", "1 when the database answered.", 1),
        metrics.Gauge(
            "stoplist_webhook_queue_depth", "Outgoing webhook deliveries pending.", depth
        ),
        metrics.Gauge(
            "stoplist_webhook_oldest_pending_age_seconds",
            "Age of the oldest pending outgoing webhook delivery (0 when none).",
            age,
        ),
        metrics.Gauge(
            "stoplist_confirmation_queue_depth",
            "Confirmations waiting to be sent through SMS Partner.",
            sends,
        ),
        metrics.Gauge(
            "stoplist_confirmation_oldest_pending_age_seconds",
            "Age of the oldest confirmation waiting to be sent (0 when none).",
            send_age,
        ),
        metrics.Gauge(
            "stoplist_review_pending",
            "Possible opt-outs waiting for a person to decide, over every account.",
            queued.pending,
        ),
        metrics.Gauge(
            "stoplist_review_overdue",
            "Possible opt-outs undecided for more than 7 days, over every account.",
            queued.overdue,
        ),
    ]


def routes() -> list[BaseRoute]:
    return [
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics_page, methods=["GET"]),
    ]
