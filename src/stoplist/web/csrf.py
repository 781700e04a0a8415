"""Cross-site request forgery protection for every dashboard form.

Each form carries the session's token in a hidden field and a POST is only
honoured when it matches (the session cookie being ``SameSite=Lax`` is a
second line, not the only one). A request announcing another origin is refused
outright.
"""

from __future__ import annotations

import hmac

from starlette.requests import Request

FIELD = "csrf_token"


def is_valid(request: Request, expected: str, submitted: object) -> bool:
    if not _same_origin(request):
        return False
    if not isinstance(submitted, str) or not submitted:
        return False
    return hmac.compare_digest(submitted.encode(), expected.encode())


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    host = request.headers.get("host", "")
    return origin.split("://", 1)[-1] == host
