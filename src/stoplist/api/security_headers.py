"""Headers that keep every answer from being framed or content-sniffed.

API answers, the OpenAPI document, ``/docs`` and error pages get them as
well as the dashboard: a JSON error rendered as HTML by a sniffing browser,
or the docs page framed by another site, is as exploitable as a dashboard
page. A response that sets its own policy (the dashboard's stricter CSP)
keeps it.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
}


_RAW_HEADERS = [(name.lower().encode(), value.encode()) for name, value in SECURITY_HEADERS.items()]


def add_security_headers(headers: MutableHeaders) -> None:
    """Set each of ``SECURITY_HEADERS`` that the response has not set itself."""
    for name, value in SECURITY_HEADERS.items():
        if name not in headers:
            headers[name] = value


def _with_security_headers(message: Message) -> None:
    """``add_security_headers`` on a response start's raw headers, in one pass over them
    (every answer pays it: ``check`` is answered in about a hundred microseconds)."""
    raw = list(message.get("headers", ()))
    present = {name.lower() for name, _ in raw}
    raw += [header for header in _RAW_HEADERS if header[0] not in present]
    message["headers"] = raw


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                _with_security_headers(message)
            await send(message)

        await self.app(scope, receive, send_with_headers)
