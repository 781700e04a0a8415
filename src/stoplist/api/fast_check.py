"""``check`` answered before routing, for the plainest and most frequent call.

A sender asks "may I text this number?" before every message, nearly always
as ``GET /v1/stop-sms/check?apiKey=...&phoneNumber=...``. On SQLite both
lookups are microseconds on the event loop, so routing and request objects
become most of the cost. This middleware answers exactly that call and
steps aside for everything else (a body, POST, PostgreSQL, any error), which
the ordinary route then handles with the contract's full rules.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from stoplist.api.suppression import check_payload
from stoplist.domain.accounts import Accounts
from stoplist.domain.clock import LocalTimeFormatter
from stoplist.domain.errors import StoplistError
from stoplist.domain.filtering import check_number
from stoplist.domain.stops import StopList
from stoplist.http import render
from stoplist.http.call import header_api_key
from stoplist.http.negotiation import response_format
from stoplist.observability.database_errors import DATABASE_ERRORS
from stoplist.storage.database import Database

CHECK_PATH = "/v1/stop-sms/check"
_BODY_HEADERS = (b"content-length", b"transfer-encoding")


class CheckFastPath:
    def __init__(self, app: ASGIApp, db: Database) -> None:
        self.app = app
        self.db = db
        self.accounts = Accounts(db)
        self.enabled = db.is_sqlite
        # Only the event loop's thread uses these, so their caches stay warm and unshared.
        self._formatters: dict[str, LocalTimeFormatter] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.enabled
            and scope["type"] == "http"
            and scope["path"] == CHECK_PATH
            and scope["method"] == "GET"
        ):
            answer = self._answer(scope)
            if answer is not None:
                body, media_type = answer
                headers = [
                    (b"content-type", media_type.encode()),
                    (b"content-length", str(len(body)).encode()),
                ]
                await send({"type": "http.response.start", "status": 200, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)

    def _answer(self, scope: Scope) -> tuple[bytes, str] | None:
        headers = dict(scope["headers"])
        if any(headers.get(name, b"0") != b"0" for name in _BODY_HEADERS):
            return None
        params = dict(parse_qsl(scope["query_string"].decode("latin-1")))
        key = params.get("apiKey") or _header_key(headers)
        try:
            account = self.accounts.authenticate(key)
            number, stop = check_number(StopList(self.db, account), params.get("phoneNumber"))
        except (StoplistError, *DATABASE_ERRORS):
            return None  # the route answers it, database failures included
        formatter = self._formatters.get(account.timezone)
        if formatter is None:
            formatter = self._formatters[account.timezone] = LocalTimeFormatter(account.zone)
        fmt = response_format(params.get("_format"))
        return render.encode(check_payload(number, stop, formatter), fmt), render.media_type(fmt)


def _header_key(headers: dict[bytes, bytes]) -> str | None:
    return header_api_key(
        headers.get(b"authorization", b"").decode("latin-1"),
        headers.get(b"x-api-key", b"").decode("latin-1"),
    )
