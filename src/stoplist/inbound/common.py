"""What every provider adapter shares: reading the request, fields, times, answers."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, overload
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from stoplist.client import answers
from stoplist.domain import clock
from stoplist.domain.confirmations import given
from stoplist.domain.errors import MalformedBody, ParameterRefused, ParameterRule
from stoplist.domain.inbound import InboundMessage, Outcome, Part
from stoplist.domain.inbound_endpoints import EndpointSettings
from stoplist.domain.numbers import SEPARATORS
from stoplist.http import render
from stoplist.http.call import parse_body, read_body

MAX_INBOUND_BODY = 64 * 1024
"""An SMS is at most a few kilobytes even with every provider field around it."""
MAX_TEXT = 10_000
MAX_RAW_TIME = 100


@dataclass(frozen=True, slots=True)
class ProviderRequest:
    """A provider request, read once: query string and body parameters apart."""

    query: dict[str, Any]
    body: dict[str, Any]
    raw_body: bytes = b""

    @property
    def params(self) -> dict[str, Any]:
        return {**self.query, **self.body}


@dataclass(frozen=True, slots=True)
class Provider:
    """One provider's dialect: how to read its requests and answer them."""

    name: str
    parse: Callable[[dict[str, Any]], InboundMessage]
    answer: Callable[[Outcome], Response]
    methods: tuple[str, ...] = ("POST",)
    verify: Callable[[Request, EndpointSettings, ProviderRequest], dict[str, Any]] | None = None
    """Raises ``InvalidSignature`` unless signed with ``settings.secret`` (only called when set);
    returns the parameters the signature covers, the only ones then read: a field added where
    the signature does not reach (a query string beside a signed body) must not change the
    message."""


async def read(request: Request, limit: int) -> ProviderRequest:
    body = await read_body(request, min(limit, MAX_INBOUND_BODY))
    try:
        params = await parse_body(request, body)
    except MalformedBody:
        params = _repaired(body)
    return ProviderRequest(dict(request.query_params.items()), params, body)


def _repaired(body: bytes) -> dict[str, Any]:
    """A JSON object or form whose text is not valid UTF-8 (or strict JSON), read anyway.

    A phone's text can carry bytes no encoder meant (a bad GSM-7 conversion,
    a cut multibyte character, an escaped lone surrogate, a number too large
    for 64 bits): the message is still a person's reply and may be a STOP.
    Undecodable bytes and lone surrogates become U+FFFD; anything that is
    still neither a JSON object nor a form stays a malformed body.
    """
    text = body.decode("utf-8", "replace").strip().removeprefix("\ufeff")
    try:
        if text[:1] not in ("{", "["):
            return dict(parse_qsl(text, keep_blank_values=True, strict_parsing=True))
        value = json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        raise MalformedBody() from None
    if not isinstance(value, dict):
        raise MalformedBody()
    return _without_surrogates(value)


def _refuse_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


@overload
def _without_surrogates(value: dict[str, Any]) -> dict[str, Any]: ...
@overload
def _without_surrogates(value: object) -> object: ...


def _without_surrogates(value: object) -> object:
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, dict):
        return {_without_surrogates(k): _without_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_surrogates(item) for item in value]
    return value


def international_sender(value: str | None) -> str:
    """A sender given as an international number without its ``+``, as Vonage sends them.

    Read with the account's region first, ``43664123456`` (Austria) would be
    a German national number on a German account, and a STOP would stop a
    stranger while its sender stayed allowed. So digits that do not start
    with ``0`` (no country code does) get their ``+``, separators and all
    (``43 664 123456``); anything else is read as it came.
    """
    text = (value or "").strip()
    digits = SEPARATORS.sub("", text)
    if digits.isascii() and digits.isdigit() and not digits.startswith("0"):
        return "+" + digits
    return text


def text_field(params: dict[str, Any], *names: str, required: bool = True) -> str | None:
    """The first of ``names`` present, as text (numbers become their digits)."""
    for name in names:
        value = params.get(name)
        if value is None or isinstance(value, bool):
            continue
        if isinstance(value, int | float | str):
            text = str(value) if not isinstance(value, float) else f"{value:.0f}"
            if len(text) > MAX_TEXT:
                raise ParameterRefused(ParameterRule.TOO_LONG, name=name, limit=MAX_TEXT)
            return text
        raise ParameterRefused(ParameterRule.NOT_TEXT, name=name)
    if required:
        raise ParameterRefused(ParameterRule.REQUIRED, name=names[0])
    return None


def message_text(params: dict[str, Any], *names: str) -> str:
    """The message body; a missing text is an empty message, not an error."""
    return text_field(params, *names, required=False) or ""


def provider_time(value: object) -> int | None:
    """A provider's send time: ISO 8601 or ``YYYY-MM-DD HH:MM:SS`` (UTC), or epoch seconds.

    A time we cannot read is dropped rather than refusing the message: the
    arrival time then stands in, and the STOP is not lost. Whether a time we
    can read is believable is the domain's decision (``domain.inbound``).
    """
    if value is None or isinstance(value, bool) or value == "":
        return None
    if isinstance(value, str) and value.isascii() and value.strip().isdigit():
        digits = value.strip()
        if len(digits) > _MAX_EPOCH_DIGITS:
            return None  # past any time, and past what int() reads at all (4,300 digits)
        value = int(digits)
    if isinstance(value, int | float):
        return _epoch_us(value)
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return clock.to_us(moment)
    except (ValueError, OverflowError):
        return None


_MAX_EPOCH_SECONDS = 1e13
"""Far beyond any real time; also keeps microseconds within 64 bits."""
_MAX_EPOCH_DIGITS = 20


def _epoch_us(value: float) -> int | None:
    seconds = float(value) if abs(value) < 1e300 else math.inf
    if not math.isfinite(seconds):
        return None
    if seconds > 1e11:  # milliseconds
        seconds /= 1000
    if abs(seconds) > _MAX_EPOCH_SECONDS:
        return None
    return int(seconds * clock.MICROS)


def raw_time(value: object) -> str | None:
    """The provider's time field as it came, for the record (None when absent)."""
    if value is None or value == "":
        return None
    return str(value)[:MAX_RAW_TIME]


def concat_part(params: dict[str, Any]) -> Part | None:
    """The ``concat-*`` fields of SMS Partner's long numbers and Vonage, if present."""
    if str(params.get("concat", "")).lower() not in ("true", "1"):
        return None
    ref = text_field(params, "concat-ref")
    assert ref is not None
    try:
        total = int(str(params.get("concat-total")))
        number = int(str(params.get("concat-part")))
    except ValueError:
        raise ParameterRefused(ParameterRule.PARTS_NOT_INTEGERS) from None
    return Part(ref=ref, number=number, total=total)


def json_answer(outcome: Outcome) -> Response:
    """The answer JSON-speaking providers get (they only look at the 2xx).

    ``reply`` is the confirmation for the caller to send, or null when there
    is nothing to send (none is due, or stoplist sends it itself through SMS
    Partner: ``replyQueued`` is then true).
    """
    facts: dict[str, Any] = {"status": "spooled" if outcome.spooled else "pending"}
    if not outcome.pending:
        assert outcome.recorded is not None
        facts = {
            "status": "duplicate" if outcome.recorded.duplicate else "recorded",
            "type": outcome.answer_type,
            "event_id": outcome.recorded.event_id,
            "stopped": outcome.recorded.stop_after is not None,
        }
    facts["reply"], facts["reply_queued"] = given(outcome.reply)
    return render.respond(answers.Inbound(**answers.ok(), **facts), "json")
