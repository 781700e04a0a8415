"""The request a log line belongs to, carried in context variables.

Starlette runs handlers' blocking work in threads with a copy of the
context, so a line logged from a domain call made for a request still
carries that request's id.
"""

from __future__ import annotations

import os
import re
from collections.abc import MutableMapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

REQUEST_ID_HEADER = "X-Request-Id"
_SANE_ID = re.compile(r"[A-Za-z0-9._:\-]{1,64}")


@dataclass(slots=True)
class RequestContext:
    """One request as its log lines describe it; the route is known once it is routed."""

    request_id: str
    method: str
    scope: MutableMapping[str, Any] = field(repr=False)
    route: str | None = None

    def route_template(self) -> str | None:
        """The matched route's path template (``/inbound/{token}/{provider}``), never the path."""
        if self.route is None:
            self.route = route_template(self.scope)
        return self.route


current: ContextVar[RequestContext | None] = ContextVar("stoplist_request", default=None)


def request_id_from(header: str | None) -> str:
    """The client's ``X-Request-Id`` when it is short and made of safe characters, else a new one.

    Anything else (spaces, quotes, newlines, a kilobyte of text) could forge
    or break log lines, so it is replaced rather than cleaned.
    """
    if header and _SANE_ID.fullmatch(header):
        return header
    return os.urandom(16).hex()


def route_template(scope: MutableMapping[str, Any]) -> str | None:
    """The template of the route Starlette matched for ``scope``, if it has matched one."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if not isinstance(path, str):
        return None
    if not hasattr(route, "endpoint"):  # a Mount: what follows its path is free
        return f"{path}/{{path}}"
    return path
