"""An access log that never writes a secret or a phone number, and the request metrics.

URLs carry API keys (``?apiKey=``), inbound tokens (``/inbound/<token>/``),
phone numbers and, from some providers, the SMS text itself, so the
server's own access log is off and this one writes redacted lines: keys,
tokens and texts are replaced, numbers masked (``+336****5678``).

Every request gets an id (the client's ``X-Request-Id`` when it is sane),
echoed in the answer's ``X-Request-Id`` and carried by every log line made
while answering it. Requests are counted by route template, never by path.
"""

from __future__ import annotations

import logging
import re
import time
from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stoplist.observability import context, metrics
from stoplist.observability.redaction import REDACTED, mask_number, scrub

logger = logging.getLogger("stoplist.access")

_SECRET_PARAMS = {"apikey", "api_key", "key", "token", "password", "secret", "signature"}
_TEXT_PARAMS = {"text", "body", "message", "keyword"}
_NUMBER_PARAMS = {
    "phonenumber",
    "phonenumbers",
    "phone_number",
    "number",
    "numbers",
    "msisdn",
    "sender",
    "recipient",
    "q",
}
_MAYBE_NUMBER_PARAMS = {"from", "to"}  # a number for providers, a date on dashboard pages
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_SECRET_PATHS = re.compile(r"^(/inbound/)[^/]+")
_UNMATCHED = "unmatched"
_HEADER = context.REQUEST_ID_HEADER.lower().encode()


def redact_path(path: str) -> str:
    return _SECRET_PATHS.sub(rf"\1{REDACTED}", path)


def redact_query(query: str) -> str:
    if not query:
        return ""
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(name, _redact_value(name, value)) for name, value in pairs], safe="[]*+")


def _redact_value(name: str, value: str) -> str:
    lowered = name.lower()
    if lowered in _SECRET_PARAMS or lowered in _TEXT_PARAMS:
        return REDACTED
    if lowered in _NUMBER_PARAMS or (
        lowered in _MAYBE_NUMBER_PARAMS and not _DATE.fullmatch(value.strip())
    ):
        return mask_number(value) if value else value
    return scrub(value)


class AccessLogMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._plain_routes: dict[str, str] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        request_id = context.request_id_from(_header(scope, _HEADER))
        request = context.RequestContext(request_id, scope["method"], scope)
        token = context.current.set(request)

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (_HEADER, request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            elapsed = time.perf_counter() - started
            route = request.route_template() or self._plain_route(scope, status)
            request.route = route
            metrics.http_request(route, scope["method"], status, elapsed)
            if logger.isEnabledFor(logging.INFO):
                query = redact_query(scope.get("query_string", b"").decode("latin-1"))
                target = scrub(redact_path(scope["path"])) + (f"?{query}" if query else "")
                client = scope.get("client") or ("-", 0)
                duration_ms = round(elapsed * 1000, 1)
                logger.info(
                    '%s "%s %s" %d %.1fms',
                    client[0],
                    scope["method"],
                    target,
                    status,
                    duration_ms,
                    extra={"status": status, "duration_ms": duration_ms, "redacted": True},
                )
            context.current.reset(token)

    def _plain_route(self, scope: Scope, status: int) -> str:
        """The template of a request answered before routing (``check``'s fast path)."""
        if self._plain_routes is None:
            app = scope.get("app")
            self._plain_routes = {
                path: path
                for path in (getattr(route, "path", None) for route in getattr(app, "routes", []))
                if isinstance(path, str) and "{" not in path
            }
        if status == 404:
            return _UNMATCHED
        return self._plain_routes.get(scope["path"], _UNMATCHED)


def _header(scope: Scope, name: bytes) -> str | None:
    headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
    for key, value in headers:
        if key == name:
            return value.decode("latin-1")
    return None
