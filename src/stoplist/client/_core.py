"""Everything the sync and async clients share: requests, answers, retries.

The two clients differ only in how they wait (``time.sleep`` or
``asyncio.sleep``) and send (``httpx.Client`` or ``httpx.AsyncClient``);
building each request, reading each answer (into the models of
``stoplist.client.answers``) and the retry policy live here once.

Over 400 lines on purpose: every call of the API is built and read here,
once for both clients; split by endpoint, each part would need the retry
policy and the error reading of all the others.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx
import msgspec
import tenacity

from stoplist.client import _xml, answers
from stoplist.client._version import __version__
from stoplist.client.errors import (
    AlreadyStopped,
    ServerError,
    StoplistError,
    TransportError,
    error_for,
)
from stoplist.client.models import (
    Check,
    FilterItem,
    FilterResult,
    History,
    HistoryEvent,
    Page,
    Stop,
)

DEFAULT_BASE_URL = "https://api.smspartner.fr/v1"
DEFAULT_TIMEZONE = "Europe/Paris"
BASE_URL_ENV = "STOPLIST_BASE_URL"
API_KEY_ENV = "STOPLIST_API_KEY"
USER_AGENT = f"stoplist-client/{__version__}"
DEFAULT_PAGE_SIZE = 1000
MAX_BACKOFF = 8.0

Format = Literal["json", "xml"]


@dataclass(frozen=True, slots=True)
class Call:
    """One API request, before it is bound to an HTTP client."""

    operation: str
    method: Literal["GET", "POST"]
    path: str
    answer: type[answers.Answer]
    params: dict[str, Any] = field(default_factory=dict)
    idempotent: bool = True


@dataclass(slots=True)
class Settings:
    base_url: str
    api_key: str | None
    timeout: float
    format: Format
    zone: ZoneInfo
    retries: int
    backoff: float


class ClientBase:
    """What the blocking and the async client share: their settings, read-only."""

    _conf: Settings

    @property
    def base_url(self) -> str:
        return self._conf.base_url

    @property
    def format(self) -> Format:
        return self._conf.format


def settings(
    base_url: str | None,
    api_key: str | None,
    timeout: float,
    format: str,
    timezone: str,
    retries: int,
    backoff: float,
) -> Settings:
    if format not in ("json", "xml"):
        raise ValueError("format must be 'json' or 'xml'")
    if retries < 0:
        raise ValueError("retries must be zero or more")
    if base_url is None:
        base_url = os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
    if api_key is None:
        api_key = os.environ.get(API_KEY_ENV)
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone: {timezone}") from None
    return Settings(
        base_url=base_url.rstrip("/") + "/",
        api_key=api_key or None,
        timeout=timeout,
        format=format,  # type: ignore[arg-type]
        zone=zone,
        retries=retries,
        backoff=backoff,
    )


def headers(extra: Mapping[str, str] | None) -> dict[str, str]:
    """The headers of every request: ours, then the caller's (``Accept-Language``, ...)."""
    return {"User-Agent": USER_AGENT, **(extra or {})}


# --- the calls -----------------------------------------------------------------


def list_call(*, limit: int | None = None, after: int | None = None) -> Call:
    params: dict[str, Any] = {}
    if limit is not None:
        params["limit"] = limit
    if after is not None:
        params["after"] = after
    return Call("list", "GET", "stop-sms/list", answers.StopList, params)


def add_call(number: str) -> Call:
    params = {"phoneNumber": number}
    return Call("add", "POST", "stop-sms/add", answers.Added, params, idempotent=False)


def delete_call(stop_id: int) -> Call:
    params = {"id": stop_id}
    return Call("delete", "POST", "stop-sms/delete", answers.Done, params, idempotent=False)


def check_call(number: str) -> Call:
    return Call("check", "POST", "stop-sms/check", answers.Check, {"phoneNumber": number})


def filter_call(numbers: Iterable[str]) -> Call:
    if isinstance(numbers, str | bytes):
        raise TypeError("filter takes a list of numbers, not one string")
    params = {"phoneNumbers": list(numbers)}
    return Call("filter", "POST", "stop-sms/filter", answers.Filter, params)


def history_call(number: str) -> Call:
    return Call("history", "POST", "stop-sms/history", answers.History, {"phoneNumber": number})


def erase_call(number: str, actor: str | None, reason: str | None) -> Call:
    params = {"phoneNumber": number}
    params.update({name: value for name, value in (("actor", actor), ("reason", reason)) if value})
    return Call("erase", "POST", "stop-sms/erase", answers.Erased, params, idempotent=True)


def evidence_call(number: str) -> Call:
    params = {"phoneNumber": number}
    return Call("evidence", "POST", "stop-sms/evidence", answers.Evidence, params)


def export_events_request(
    http: httpx.Client | httpx.AsyncClient,
    conf: Settings,
    *,
    since: datetime | str | None,
    until: datetime | str | None,
    format: str,
) -> httpx.Request:
    """``GET /v1/events/export`` (a stoplist extension); datetimes travel as ISO 8601."""
    query: dict[str, Any] = {"format": format}
    if conf.api_key:
        query["apiKey"] = conf.api_key
    for name, value in (("since", since), ("until", until)):
        if value is not None:
            query[name] = value.isoformat() if isinstance(value, datetime) else value
    return http.build_request("GET", "events/export", params=query)


def export_failure(response: httpx.Response) -> StoplistError:
    """The error an export answered instead of its file (its body read already)."""
    call = Call("export events", "GET", "events/export", answers.Done, {})
    try:
        decode(call, response)
    except StoplistError as exc:
        return exc
    return ServerError(f"HTTP {response.status_code}", status_code=response.status_code)


def build_request(
    http: httpx.Client | httpx.AsyncClient, call: Call, conf: Settings
) -> httpx.Request:
    """The HTTP request for ``call``, in SMS Partner's own style.

    ``GET`` carries everything in the query string, as SMS Partner documents
    ``list``; ``POST`` sends a JSON body with ``apiKey`` beside the
    parameters, as its ``add`` and ``delete`` examples do. ``_format`` always
    rides in the query string.
    """
    query: dict[str, Any] = {}
    if conf.format == "xml":
        query["_format"] = "xml"
    if call.method == "GET":
        if conf.api_key:
            query["apiKey"] = conf.api_key
        query.update(call.params)
        return http.build_request("GET", call.path, params=query)
    body = dict(call.params)
    if conf.api_key:
        body["apiKey"] = conf.api_key
    return http.build_request("POST", call.path, params=query, json=body)


# --- the answers ---------------------------------------------------------------

_ERRORS = msgspec.json.Decoder(answers.Error, strict=False)


@cache
def _decoder(model: type[answers.Answer]) -> msgspec.json.Decoder[Any]:
    # strict=False: SMS Partner and PHP servers write some integers as strings.
    return msgspec.json.Decoder(model, strict=False)


def decode(call: Call, response: httpx.Response) -> Any:
    """The answer as ``call.answer``, or the exception its error code names."""
    status = response.status_code
    try:
        found = _answer(call.answer, response.content)
    except ValueError as exc:  # msgspec's and the XML reader's errors are ValueErrors
        raise ServerError(f"HTTP {status}: unreadable answer ({exc})", status_code=status) from None
    if not isinstance(found, answers.Error):
        if found.success is True and status < 400:
            return found
        raise ServerError(f"HTTP {status}: answer without an error code", status_code=status)
    raise error_for(
        found.code,
        found.message or f"error {found.code}",
        status_code=status,
        stop_id=found.stop_id if isinstance(found.stop_id, int) else None,
        operation=call.operation,
        reason=found.reason if isinstance(found.reason, str) else None,
        detail=found.detail if isinstance(found.detail, str) else None,
    )


def _answer(model: type[answers.Answer], body: bytes) -> answers.Answer | answers.Error:
    text = body.lstrip()
    if text.startswith(b"<"):
        return _xml.read(text, model)
    try:
        found: answers.Answer = _decoder(model).decode(body)
    except msgspec.ValidationError:
        return _ERRORS.decode(body)
    return found if found.success is True else _ERRORS.decode(body)


def parse_time(text: str | None, zone: ZoneInfo) -> datetime | None:
    """``YYYY-MM-DD HH:MM:SS`` in the account's zone (an explicit offset is kept)."""
    if not isinstance(text, str) or not text.strip():
        return None
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        return moment.replace(tzinfo=zone)
    return moment.astimezone(zone)


def stop(entry: answers.Stop, zone: ZoneInfo) -> Stop:
    created = parse_time(entry.created_at, zone)
    if created is None:
        raise ServerError("a list entry has no createdAt")
    return Stop(id=entry.id, phone_number=entry.phone_number, created_at=created)


def page(answer: answers.StopList, zone: ZoneInfo) -> Page:
    stops = [stop(entry, zone) for entry in answer.data]
    paged = answer.next_after is not answers.UNSET
    next_after = answer.next_after if isinstance(answer.next_after, int) else None
    return Page(stops, next_after, paged)


def stop_id(answer: answers.Added) -> int:
    return answer.stop_id


def check(answer: answers.Check, zone: ZoneInfo) -> Check:
    stopped = answer.stopped
    return Check(
        phone_number=answer.phone_number,
        stopped=stopped,
        stop_id=_given(answer.stop_id) if stopped else None,
        created_at=parse_time(_given(answer.created_at), zone) if stopped else None,
        pending=_given(answer.pending) is True,
    )


def filter_result(answer: answers.Filter) -> FilterResult:
    items = [
        FilterItem(
            status=item.status,
            phone_number=_given(item.phone_number),
            stop_id=_given(item.stop_id),
            pending=_given(item.pending) is True,
            input=_given(item.input),
            code=_given(item.code),
            reason=_given(item.reason),
            detail=_given(item.detail),
        )
        for item in answer.data
    ]
    counts = answer.counts
    return FilterResult(
        items=items, allowed=counts.allowed, stopped=counts.stopped, invalid=counts.invalid
    )


def history(answer: answers.History, zone: ZoneInfo) -> History:
    events = [
        HistoryEvent(
            id=event.id,
            type=event.type,
            source=event.source,
            event_at=parse_time(event.event_at, zone),
            received_at=parse_time(event.received_at, zone),
            provider=event.provider or None,
            provider_message_id=event.provider_message_id or None,
            text=event.text,
            actor=event.actor or None,
            reason=event.reason or None,
        )
        for event in answer.data
    ]
    return History(
        phone_number=answer.phone_number,
        stopped=answer.stopped,
        stop_id=_given(answer.stop_id) if answer.stopped else None,
        events=events,
    )


def _given(value: Any) -> Any:
    """``value``, or ``None`` for a field the answer did not carry."""
    return None if value is answers.UNSET else value


# --- retries -------------------------------------------------------------------


class RetryPolicy:
    """Whether and when to send a call again after a failure, for ``tenacity``.

    Reads (``list``, ``check``, ``filter``, ``history``) are retried after any
    network failure or 5xx, with exponential backoff (``backoff`` seconds,
    doubling, at most ``MAX_BACKOFF``). ``delete`` is retried only when the
    request certainly never reached the server. ``add`` is retried too,
    because the API makes that safe: if the lost attempt did land, the retry
    answers code 3 with the existing ``stopId``, which is then the answer.
    The sync client runs ``tenacity.Retrying(**policy.options)``, the async
    one ``tenacity.AsyncRetrying`` with the same options.
    """

    def __init__(self, call: Call, conf: Settings) -> None:
        self.call = call
        self.maybe_landed = False
        self.options: dict[str, Any] = {
            "stop": tenacity.stop_after_attempt(conf.retries + 1),
            "wait": tenacity.wait_exponential(multiplier=conf.backoff, max=MAX_BACKOFF),
            "retry": tenacity.retry_if_exception(self._retryable),
            "reraise": True,
        }

    def after_last(self, error: httpx.TransportError | StoplistError) -> answers.Added:
        """The call's outcome once its last attempt failed: raised, or settled.

        A network failure becomes ``TransportError``. An ``AlreadyStopped``
        answering a retried ``add`` may be the lost first attempt's success:
        its ``stopId`` is then the answer. Anything else is raised as it is.
        """
        if isinstance(error, httpx.TransportError):
            raise TransportError(f"{self.call.operation}: {_describe(error)}") from error
        if (
            self.call.operation == "add"
            and self.maybe_landed
            and isinstance(error, AlreadyStopped)
            and error.stop_id is not None
        ):
            return answers.Added(**answers.ok(), stop_id=error.stop_id)
        raise error

    def _retryable(self, error: BaseException) -> bool:
        """Called by ``tenacity`` after every failed attempt, the last one included."""
        if isinstance(error, httpx.TransportError) and not _never_sent(error):
            self.maybe_landed = True
        server_failed = isinstance(error, ServerError) and (error.status_code or 0) >= 500
        self.maybe_landed = self.maybe_landed or server_failed
        safe_again = self.call.idempotent or self.call.operation == "add"
        if isinstance(error, httpx.TransportError):
            return safe_again or _never_sent(error)
        return server_failed and safe_again


def _never_sent(error: httpx.TransportError) -> bool:
    return isinstance(error, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)


def _describe(error: httpx.TransportError) -> str:
    return str(error) or type(error).__name__
