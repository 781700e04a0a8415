"""The ASGI application: routes, error answers, and shared services.

This is the one module that knows every HTTP adapter: it puts the API, the
inbound webhooks and the dashboard on one Starlette application, decides which
error answer each area gets, and starts the outgoing webhook dispatcher.
"""

from __future__ import annotations

import ctypes
import logging
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from stoplist.api import (
    docs,
    erasure,
    evidence,
    health,
    history,
    review,
    stop_sms,
    suppression,
    webhooks,
)
from stoplist.api.access_log import AccessLogMiddleware, redact_path
from stoplist.api.check import CheckEndpoint
from stoplist.api.errors import error_body
from stoplist.api.kept_lists import list_renderer
from stoplist.api.list_cache import ListCache
from stoplist.api.security_headers import SecurityHeadersMiddleware, add_security_headers
from stoplist.domain.accounts import Accounts
from stoplist.domain.checking import Checker
from stoplist.domain.errors import (
    DatabaseUnavailable,
    InternalError,
    MethodNotAllowed,
    NotFound,
    PreparedStatementsLost,
    StoplistError,
    StorageFull,
)
from stoplist.domain.inbound_spool import inbound_spool
from stoplist.domain.stop_index import StopIndexes
from stoplist.http import render
from stoplist.http.negotiation import language, response_format
from stoplist.http.proxy import ForwardedHeaders, TrustedProxies
from stoplist.inbound.routes import routes as inbound_routes
from stoplist.observability import metrics
from stoplist.observability.database_errors import (
    DATABASE_ERRORS,
    PREPARED_STATEMENTS_LOST,
    advise_once,
    describe,
    error_kind,
    failure_kind,
)
from stoplist.outbound.dispatch import run_dispatcher
from stoplist.settings import Settings, load_settings
from stoplist.storage.check_reads import check_reads_for
from stoplist.storage.database import Database
from stoplist.storage.faults import is_storage_full
from stoplist.storage.held_opt_outs import MarkerHeldOptOuts, held_opt_outs_reader
from stoplist.web.context import unavailable_page
from stoplist.web.routes import routes as web_routes

logger = logging.getLogger("stoplist")

_BOTH = ["GET", "POST"]
RETRY_AFTER_SECONDS = 5


def error_response(request: Request, error: StoplistError) -> Response:
    """The contract's error body, in the format and language the client asked for."""
    fmt = getattr(request.state, "format", None) or response_format(
        request.query_params.get("_format")
    )
    status, payload = error_body(error, language(request.headers.get("accept-language")))
    response = render.respond(payload, fmt, status)
    if isinstance(error, MethodNotAllowed):
        response.headers["Allow"] = ", ".join(error.allow)
    return response


async def _on_stoplist_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StoplistError)
    return error_response(request, exc)


async def _on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        return error_response(request, MethodNotAllowed(_allowed(exc)))
    if exc.status_code == 404:
        return error_response(request, NotFound())
    return JSONResponse(
        {"success": False, "code": exc.status_code, "message": exc.detail},
        status_code=exc.status_code,
    )


def _allowed(exc: HTTPException) -> list[str]:
    """The methods of the route that refused, from the ``Allow`` header routing put on it."""
    listed = (exc.headers or {}).get("Allow", "GET, POST")
    return sorted(method.strip() for method in listed.split(",") if method.strip())


async def _on_storage_error(request: Request, exc: Exception) -> Response:
    """A full disk is a 503 with code 93 (the write was rolled back); anything else, a 500."""
    if not is_storage_full(exc):
        return await _on_unexpected_error(request, exc)
    logger.warning("storage full on %s: %s", redact_path(request.url.path), type(exc).__name__)
    response = error_response(request, StorageFull())
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


async def _on_client_gone(request: Request, exc: Exception) -> Response:
    """The client left before its answer was begun: no one reads this one (nginx's 499)."""
    return Response(status_code=499)


async def _on_unexpected_error(request: Request, exc: Exception) -> Response:
    logger.error("unhandled error on %s", redact_path(request.url.path), exc_info=exc)
    response = error_response(request, InternalError())
    add_security_headers(response.headers)  # sent from outside the middleware stack
    return response


async def _on_database_error(request: Request, exc: Exception) -> Response:
    """503 (code 94) while the database is down, read-only or full: nothing was changed.

    Inbound webhooks get the same 503, so providers deliver the STOP again
    later; dashboard pages get an error page. Only a short line reaches the
    log: a driver's full message can quote the statement's values.
    """
    kind = error_kind(exc)
    metrics.database_error(kind)
    if is_storage_full(exc):
        return await _on_storage_error(request, exc)
    if failure_kind(exc) is None:
        return await _on_unexpected_error(request, exc)
    logger.warning(
        "database unavailable (%s) on %s: %s", kind, redact_path(request.url.path), describe(exc)
    )
    advise_once(exc)
    response: Response
    if request.url.path.startswith("/dashboard"):
        response = unavailable_page(request)
    else:
        response = error_response(request, _unavailable(kind))
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _unavailable(kind: str) -> DatabaseUnavailable:
    """Code 94 either way; lost prepared statements are a setup to fix, and their message says how.

    Waiting does not mend them: every node behind that pooler fails alike
    until the operator changes a setting, so the answer names it.
    """
    return PreparedStatementsLost() if kind == PREPARED_STATEMENTS_LOST else DatabaseUnavailable()


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def routes() -> list[BaseRoute]:
    """Every route of the service; each area contributes its own list."""
    return [
        # Most requests are per-message checks: matched first.
        Route("/v1/stop-sms/check", CheckEndpoint(), methods=_BOTH),
        Route("/v1/stop-sms/list", stop_sms.list_stops, methods=_BOTH),
        Route("/v1/stop-sms/add", stop_sms.add_stop, methods=_BOTH),
        Route("/v1/stop-sms/delete", stop_sms.delete_stop, methods=_BOTH),
        Route("/v1/stop-sms/history", history.history, methods=_BOTH),
        Route("/v1/stop-sms/evidence", evidence.evidence, methods=_BOTH),
        Route("/v1/stop-sms/erase", erasure.erase, methods=["POST"]),
        Route("/v1/events/export", evidence.export_events, methods=["GET"]),
        Route("/v1/webhooks/list", webhooks.list_endpoints, methods=_BOTH),
        Route("/v1/webhooks/add", webhooks.add_endpoint, methods=["POST"]),
        Route("/v1/webhooks/delete", webhooks.delete_endpoint, methods=["POST"]),
        Route("/v1/webhooks/deliveries", webhooks.list_deliveries, methods=_BOTH),
        Route("/v1/review/list", review.list_items, methods=_BOTH),
        Route("/v1/review/confirm", review.confirm, methods=["POST"]),
        Route("/v1/review/dismiss", review.dismiss, methods=["POST"]),
        Route("/v1/stop-sms/filter", suppression.filter_list, methods=["POST"]),
        Route("/v1/stop-sms/export", suppression.export, methods=["GET"]),
        Route("/v1/stop-sms/import", suppression.import_file, methods=["POST"]),
        *inbound_routes(),
        Route("/healthz", healthz, methods=["GET"]),
        *health.routes(),
        *docs.routes(),
        *web_routes(),
    ]


_M_ARENA_MAX = -8  # glibc's mallopt parameter
_MALLOC_ARENAS = 2


def _limit_malloc_arenas() -> None:
    """Keep glibc's allocator to two arenas in a server process.

    A thread that allocates while the arenas are busy gets one of its own (up
    to eight per core), and what is freed in one arena is not reused by
    another: under load, the worker threads of a 300,000-number import grew
    the server by +56 MB over idle, against +45 to +52 MB with two arenas
    (the usual ``MALLOC_ARENA_MAX=2`` of servers in containers). The
    import's goal is +64 MB at most. An operator's own ``MALLOC_ARENA_MAX``
    wins; a C library other than glibc is left as it is.
    """
    if os.environ.get("MALLOC_ARENA_MAX") or not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(_M_ARENA_MAX, _MALLOC_ARENAS)
    except (OSError, AttributeError):
        return


def create_app(database: Database | None = None, settings: Settings | None = None) -> Starlette:
    """Build the application.

    Without arguments (how ``stoplist serve`` and its workers call it) the
    settings come from the environment and the database from them.
    """
    if database is None:
        _limit_malloc_arenas()
    settings = settings or load_settings()
    db = database or Database(
        settings.database_url,
        pool_size=settings.pool_size,
        max_overflow=settings.pool_overflow,
        secrets_key_file=settings.secrets_key_file,
        prepared_statements=settings.prepared_statements,
    )
    spool = inbound_spool(db, settings.inbound_spool_dir, settings.inbound_lock_wait)
    held = spool.held if spool is not None else held_opt_outs_reader(db)
    markers = held if isinstance(held, MarkerHeldOptOuts) else None
    checker = Checker(check_reads_for(db, connections=settings.check_connections, held=markers))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        metrics.worker_started()
        async with run_dispatcher(db, settings, spool):
            yield
        await checker.aclose()
        db.dispose()

    app = Starlette(
        routes=routes(),
        middleware=[
            Middleware(
                ForwardedHeaders,
                trusted=TrustedProxies(settings.trusted_proxies),
                kind=settings.proxy_headers,
            ),
            Middleware(AccessLogMiddleware),
            Middleware(SecurityHeadersMiddleware),
        ],
        exception_handlers={
            ClientDisconnect: _on_client_gone,
            StoplistError: _on_stoplist_error,
            HTTPException: _on_http_error,
            **dict.fromkeys(DATABASE_ERRORS, _on_database_error),
            OSError: _on_storage_error,
            Exception: _on_unexpected_error,
        },
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.accounts = Accounts(db)
    app.state.checker = checker
    app.state.list_renderer = list_renderer(ListCache.for_database(db, settings.list_cache_dir))
    app.state.stop_indexes = StopIndexes()
    app.state.inbound_spool = spool
    app.state.held_opt_outs = held
    app.state.max_body_bytes = settings.max_body_bytes
    return app
