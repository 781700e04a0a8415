"""The ASGI application: routes, error answers, and shared services."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from stoplist.api import docs, history, render, stop_sms, suppression, webhooks
from stoplist.api.access_log import AccessLogMiddleware, redact_path
from stoplist.api.call import DEFAULT_MAX_BODY_BYTES
from stoplist.api.fast_check import CheckFastPath
from stoplist.api.list_cache import ListCache
from stoplist.api.negotiation import language, response_format
from stoplist.dispatch import run_dispatcher
from stoplist.domain.accounts import Accounts
from stoplist.domain.errors import (
    InternalError,
    MethodNotAllowed,
    NotFound,
    StoplistError,
)
from stoplist.domain.stop_index import StopIndexes
from stoplist.storage.database import Database

logger = logging.getLogger("stoplist")

MAX_BODY_ENV = "STOPLIST_MAX_BODY_BYTES"
_BOTH = ["GET", "POST"]


def error_response(request: Request, error: StoplistError) -> Response:
    """The contract's error body, in the format and language the client asked for."""
    fmt = getattr(request.state, "format", None) or response_format(
        request.query_params.get("_format")
    )
    answer_language = language(request.headers.get("accept-language"))
    payload: dict[str, object] = {
        "success": False,
        "code": error.code,
        "message": error.message(answer_language),
    }
    payload.update(error.extra_in(answer_language))
    headers = {"Allow": "GET, POST"} if isinstance(error, MethodNotAllowed) else None
    response = render.respond(payload, fmt, error.http_status)
    if headers:
        response.headers.update(headers)
    return response


async def _on_stoplist_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StoplistError)
    return error_response(request, exc)


async def _on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        return error_response(request, MethodNotAllowed())
    if exc.status_code == 404:
        return error_response(request, NotFound())
    return JSONResponse(
        {"success": False, "code": exc.status_code, "message": exc.detail},
        status_code=exc.status_code,
    )


async def _on_unexpected_error(request: Request, exc: Exception) -> Response:
    logger.error("unhandled error on %s", redact_path(request.url.path), exc_info=exc)
    return error_response(request, InternalError())


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def routes() -> list[BaseRoute]:
    """Every route of the service; each area contributes its own list."""
    from stoplist.inbound.routes import routes as inbound_routes
    from stoplist.web.routes import routes as web_routes

    return [
        # Most requests are per-message checks: matched first.
        Route("/v1/stop-sms/check", suppression.check, methods=_BOTH),
        Route("/v1/stop-sms/list", stop_sms.list_stops, methods=_BOTH),
        Route("/v1/stop-sms/add", stop_sms.add_stop, methods=_BOTH),
        Route("/v1/stop-sms/delete", stop_sms.delete_stop, methods=_BOTH),
        Route("/v1/stop-sms/history", history.history, methods=_BOTH),
        Route("/v1/webhooks/list", webhooks.list_endpoints, methods=_BOTH),
        Route("/v1/webhooks/add", webhooks.add_endpoint, methods=["POST"]),
        Route("/v1/webhooks/delete", webhooks.delete_endpoint, methods=["POST"]),
        Route("/v1/webhooks/deliveries", webhooks.list_deliveries, methods=_BOTH),
        Route("/v1/stop-sms/filter", suppression.filter_list, methods=["POST"]),
        Route("/v1/stop-sms/export", suppression.export, methods=["GET"]),
        Route("/v1/stop-sms/import", suppression.import_file, methods=["POST"]),
        *inbound_routes(),
        Route("/healthz", healthz, methods=["GET"]),
        *docs.routes(),
        *web_routes(),
    ]


def create_app(database: Database | None = None) -> Starlette:
    """Build the application; the database defaults to ``STOPLIST_DATABASE_URL``."""
    db = database or Database()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with run_dispatcher(db):
            yield
        db.dispose()

    app = Starlette(
        routes=routes(),
        middleware=[Middleware(AccessLogMiddleware), Middleware(CheckFastPath, db=db)],
        exception_handlers={
            StoplistError: _on_stoplist_error,
            HTTPException: _on_http_error,
            Exception: _on_unexpected_error,
        },
        lifespan=lifespan,
    )
    app.state.db = db
    app.state.accounts = Accounts(db)
    app.state.list_cache = ListCache.for_database(db)
    app.state.stop_indexes = StopIndexes()
    app.state.max_body_bytes = int(os.environ.get(MAX_BODY_ENV, DEFAULT_MAX_BODY_BYTES))
    return app
