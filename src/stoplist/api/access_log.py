"""An access log that never writes a secret.

URLs carry API keys (``?apiKey=``) and inbound tokens (``/inbound/<token>/``),
so the server's own access log is off and this one writes redacted lines.
"""

from __future__ import annotations

import logging
import re
import time
from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("stoplist.access")

REDACTED = "[redacted]"
_SECRET_PARAMS = {"apikey", "api_key", "key", "token", "password", "secret", "signature"}
_SECRET_PATHS = re.compile(r"^(/inbound/)[^/]+")


def redact_path(path: str) -> str:
    return _SECRET_PATHS.sub(rf"\1{REDACTED}", path)


def redact_query(query: str) -> str:
    if not query:
        return ""
    pairs = parse_qsl(query, keep_blank_values=True)
    cleaned = [(k, REDACTED if k.lower() in _SECRET_PARAMS else v) for k, v in pairs]
    return urlencode(cleaned, safe="[]")


class AccessLogMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            if logger.isEnabledFor(logging.INFO):
                query = redact_query(scope.get("query_string", b"").decode("latin-1"))
                target = redact_path(scope["path"]) + (f"?{query}" if query else "")
                client = scope.get("client") or ("-", 0)
                elapsed = (time.perf_counter() - started) * 1000
                logger.info(
                    '%s "%s %s" %d %.1fms', client[0], scope["method"], target, status, elapsed
                )
