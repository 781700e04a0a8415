"""``check``: may I text this number? The most frequent call, answered in one read.

A sender asks before every message, nearly always as ``GET
/v1/stop-sms/check?apiKey=...&phoneNumber=+33...``. The endpoint is a plain
ASGI application rather than a request/response function: it reads the
parameters once (query string, then a body if one was announced), asks the
``Checker`` for the key and the number in the same read, and writes the
answer's two headers and body itself. Errors are raised like everywhere
else and answered by the application's handlers.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from stoplist.api.stop_sms import NUMBER_NAMES, number_sent
from stoplist.client import answers
from stoplist.domain.checking import Checked, Checker
from stoplist.domain.clock import LocalTimeFormatter
from stoplist.http import render
from stoplist.http.call import api_key, first_param, read_params
from stoplist.http.negotiation import response_format


class CheckEndpoint:
    """The ``check`` route's application."""

    def __init__(self) -> None:
        # Only the event loop's thread uses these, so their caches stay warm and unshared.
        self._formatters: dict[str, LocalTimeFormatter] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        params = await read_params(request)
        fmt = request.state.format = response_format(params.get("_format"))
        checker: Checker = request.app.state.checker
        shaped = first_param(params, *NUMBER_NAMES)  # looked up with the key when E.164
        call = await checker.authenticate(api_key(request, params), shaped)
        checked = await checker.check(call, number_sent(params, call.account.default_region))
        timezone = call.account.timezone
        formatter = self._formatters.get(timezone)
        if formatter is None:
            formatter = self._formatters[timezone] = LocalTimeFormatter(call.account.zone)
        body = render.encode(check_payload(checked, formatter, named=fmt != "xml"), fmt)
        headers = [
            (b"content-type", render.media_type(fmt).encode()),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def check_payload(
    checked: Checked, local_time: Callable[[int], str], *, named: bool = True
) -> answers.Check:
    """The ``check`` answer. ``pending`` only where fields are ``named``: XML keeps their
    order alone, and an entry after ``stopped`` would be read as the stop id."""
    number, stop = checked.number, checked.stop
    if stop is None:
        if checked.held:
            pending = True if named else answers.UNSET
            return answers.Check(
                success=True, code=200, phone_number=number, stopped=True, pending=pending
            )
        return answers.Check(success=True, code=200, phone_number=number, stopped=False)
    return answers.Check(
        success=True,
        code=200,
        phone_number=number,
        stopped=True,
        stop_id=stop.id,
        created_at=local_time(stop.created_at),
    )
