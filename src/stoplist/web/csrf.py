"""Cross-site request forgery protection for every dashboard form.

Each form carries the session's token in a hidden field and a POST is only
honoured when it matches (the session cookie being ``SameSite=Lax`` is a
second line, not the only one). A request announcing another origin is refused
outright. The origin the browser announces is compared with the public URL
(``STOPLIST_PUBLIC_URL``) when one is set, since a proxy in front of stoplist
may pass on a ``Host`` of its own, and with the request's own host.

Against the request's own host the scheme is compared only when the server
knows the one the browser used (``stoplist.http.proxy.known_scheme``): a
trusted proxy said it, or the host is the public URL's. Otherwise it cannot
be: a proxy that ends TLS and passes on ``Host`` alone (nginx's
``proxy_set_header Host $host``, a documented setup) hands over plain ``http``
while the browser says ``https``, and comparing the two would refuse every
form. An ``https`` page posting to the ``http`` site of the same host, or the
other way round, is refused whenever the scheme is known.

Hosts are compared as browsers name origins (``stoplist.http.proxy.normal_host``):
a public URL written ``https://stoplist.example.com:443`` or with the
trailing dot of a fully qualified name is the host browsers send as
``stoplist.example.com``, not another one whose scheme is unknown.
"""

from __future__ import annotations

import hmac

from starlette.requests import Request

from stoplist.http.proxy import known_scheme, normal_host, normal_origin, public_base
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
    """Both sides written as ``normal_origin`` writes them: ``https://h:443`` is ``https://h``."""
    if origin == "null":
        return False
    origin = normal_origin(origin)
    if origin == normal_origin(public_base(request)):
        return True
    scheme, sep, host = origin.partition("://")
    if not sep or host != normal_host(request.headers.get("host", ""), scheme):
        return False
    known = known_scheme(request)
    return known is None or scheme == known
