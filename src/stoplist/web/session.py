"""The dashboard's session cookie: signed, short-lived, unreadable to scripts.

The cookie carries a CSRF token and, once signed in, the id of a session kept
in the database (``DashboardAccess.open_session``). It is signed with
itsdangerous, so it cannot be forged or altered; what it grants is decided
by the database row, so a copy of it is worthless once the session ends.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from stoplist.domain.dashboard_access import SESSION_SECONDS, Grant
from stoplist.http.proxy import public_origin_is_https

COOKIE_NAME = "stoplist_session"
COOKIE_PATH = "/dashboard"
MAX_AGE = SESSION_SECONDS
_SALT = "stoplist.dashboard.session"


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


@dataclass
class Session:
    csrf_token: str = field(default_factory=new_csrf_token)
    token: str | None = None
    """The id of the session's database row, while signed in."""
    grant: Grant | None = None
    changed: bool = False

    def sign_in(self, grant: Grant, token: str) -> None:
        """Start a fresh session, so a CSRF token seen before sign-in is worthless after."""
        self.grant = grant
        self.token = token
        self.csrf_token = new_csrf_token()
        self.changed = True

    def sign_out(self) -> None:
        self.grant = None
        self.token = None
        self.csrf_token = new_csrf_token()
        self.changed = True


class SessionCodec:
    def __init__(self, secret_key: str) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt=_SALT)

    def load(self, request: Request) -> Session:
        """The request's session, or a new anonymous one when absent, forged or expired."""
        raw = request.cookies.get(COOKIE_NAME)
        if raw:
            try:
                data = self._serializer.loads(raw, max_age=MAX_AGE)
                return _from_payload(data)
            except (BadSignature, KeyError, TypeError, ValueError):
                pass
        return Session(changed=True)

    def save(self, request: Request, response: Response, session: Session) -> None:
        response.set_cookie(
            COOKIE_NAME,
            self._serializer.dumps({"c": session.csrf_token, "s": session.token}),
            max_age=MAX_AGE,
            path=COOKIE_PATH,
            secure=public_origin_is_https(request),
            httponly=True,
            samesite="lax",
        )


def _from_payload(data: dict[str, object]) -> Session:
    csrf = data["c"]
    if not isinstance(csrf, str) or not csrf:
        raise ValueError("no csrf token")
    token = data.get("s")
    if token is not None and not isinstance(token, str):
        raise ValueError("bad session id")
    return Session(csrf, token or None)
