"""Cross-site request forgery protection for every dashboard form.

Each form carries the session's token in a hidden field and a POST is only
honoured when it matches (the session cookie being ``SameSite=Lax`` is a
second line, not the only one). A request announcing another origin is refused
outright. The origin the browser announces is compared with the public URL
(``STOPLIST_PUBLIC_URL``) when one is set, since a proxy in front of stoplist
may pass on a ``Host`` of its own, and with the request's own host.
"""

from __future__ import annotations

import hmac

from starlette.requests import Request

from stoplist.http.proxy import public_base
from stoplist.web.session import COOKIE_NAME

FIELD = "csrf_token"


def refusal(request: Request, expected: str, submitted: object) -> str | None:
    """Why the form must be refused, in words fit for the log (no secrets), or None."""
    origin = request.headers.get("origin")
    if origin is not None and not _same_origin(request, origin):
        return f"origin mismatch: expected {public_base(request)} got {origin}"
    if not isinstance(submitted, str) or not submitted:
        return "missing CSRF token: the form did not carry one"
    if COOKIE_NAME not in request.cookies:
        return "missing session cookie: it expired or the browser did not send it back"
    if not hmac.compare_digest(submitted.encode(), expected.encode()):
        return "expired CSRF token: it belongs to another or an expired session"
    return None


def _same_origin(request: Request, origin: str) -> bool:
    if origin == "null":
        return False
    if origin.rstrip("/").lower() == public_base(request):
        return True
    return origin.split("://", 1)[-1] == request.headers.get("host", "")
