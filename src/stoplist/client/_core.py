"""Everything the sync and async clients share: requests, answers, retries.

The two clients differ only in how they wait (``time.sleep`` or
``asyncio.sleep``) and send (``httpx.Client`` or ``httpx.AsyncClient``);
building each request, reading each answer and deciding whether to try again
live here once.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx

from stoplist.client import _xml
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
    return Call("list", "GET", "stop-sms/list", params)


def add_call(number: str) -> Call:
    return Call("add", "POST", "stop-sms/add", {"phoneNumber": number}, idempotent=False)


def delete_call(stop_id: int) -> Call:
    return Call("delete", "POST", "stop-sms/delete", {"id": stop_id}, idempotent=False)


def check_call(number: str) -> Call:
    return Call("check", "POST", "stop-sms/check", {"phoneNumber": number})


def filter_call(numbers: Iterable[str]) -> Call:
    if isinstance(numbers, str | bytes):
        raise TypeError("filter takes a list of numbers, not one string")
    return Call("filter", "POST", "stop-sms/filter", {"phoneNumbers": list(numbers)})


def history_call(number: str) -> Call:
    return Call("history", "POST", "stop-sms/history", {"phoneNumber": number})


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


def decode(call: Call, response: httpx.Response) -> dict[str, Any]:
    """The answer as the JSON object, or the exception its error code names."""
    status = response.status_code
    try:
        document = _document(call, response.content)
    except (ValueError, _xml.XmlShapeError) as exc:
        raise ServerError(f"HTTP {status}: unreadable answer ({exc})", status_code=status) from None
    success = document.get("success")
    code = document.get("code")
    if success is True and status < 400:
        return document
    if not isinstance(code, int) or isinstance(code, bool):
        raise ServerError(f"HTTP {status}: answer without an error code", status_code=status)
    stop_id = document.get("stopId")
    raise error_for(
        code,
        str(document.get("message") or f"error {code}"),
        status_code=status,
        stop_id=stop_id if isinstance(stop_id, int) else None,
        operation=call.operation,
    )


def _document(call: Call, body: bytes) -> dict[str, Any]:
    text = body.lstrip()
    if text.startswith(b"<"):
        return _xml.to_json(call.operation, _xml.parse(text))
    value = json.loads(body)
    if not isinstance(value, dict):
        raise ValueError("the answer is not a JSON object")
    return value


def parse_time(text: Any, zone: ZoneInfo) -> datetime | None:
    """``YYYY-MM-DD HH:MM:SS`` in the account's zone (an explicit offset is kept)."""
    if not isinstance(text, str) or not text.strip():
        return None
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        return moment.replace(tzinfo=zone)
    return moment.astimezone(zone)


def stop(entry: Mapping[str, Any], zone: ZoneInfo) -> Stop:
    created = parse_time(entry.get("createdAt"), zone)
    if created is None:
        raise ServerError("a list entry has no createdAt")
    return Stop(id=int(entry["id"]), phone_number=str(entry["phoneNumber"]), created_at=created)


def page(document: Mapping[str, Any], zone: ZoneInfo) -> Page:
    stops = [stop(entry, zone) for entry in document.get("data") or []]
    paged = "nextAfter" in document
    next_after = document.get("nextAfter") if paged else None
    return Page(stops, int(next_after) if next_after is not None else None, paged)


def stop_id(document: Mapping[str, Any]) -> int:
    value = document.get("stopId")
    if not isinstance(value, int):
        raise ServerError("add answered without a stopId")
    return value


def check(document: Mapping[str, Any], zone: ZoneInfo) -> Check:
    stopped = bool(document.get("stopped"))
    return Check(
        phone_number=str(document.get("phoneNumber")),
        stopped=stopped,
        stop_id=_optional_int(document.get("stopId")) if stopped else None,
        created_at=parse_time(document.get("createdAt"), zone) if stopped else None,
    )


def filter_result(document: Mapping[str, Any]) -> FilterResult:
    items = [
        FilterItem(
            status=item.get("status"),
            phone_number=item.get("phoneNumber"),
            stop_id=_optional_int(item.get("stopId")),
            input=item.get("input"),
            code=_optional_int(item.get("code")),
        )
        for item in document.get("data") or []
    ]
    counts = document.get("counts") or {}
    return FilterResult(
        items=items,
        allowed=int(counts.get("allowed", 0) or 0),
        stopped=int(counts.get("stopped", 0) or 0),
        invalid=int(counts.get("invalid", 0) or 0),
    )


def history(document: Mapping[str, Any], zone: ZoneInfo) -> History:
    stopped = bool(document.get("stopped"))
    events = [
        HistoryEvent(
            id=int(event["id"]),
            type=str(event.get("type")),
            source=str(event.get("source")),
            event_at=parse_time(event.get("eventAt"), zone),
            received_at=parse_time(event.get("receivedAt"), zone),
            provider=event.get("provider") or None,
            provider_message_id=_optional_str(event.get("providerMessageId")),
            text=event.get("text"),
            actor=event.get("actor") or None,
            reason=event.get("reason") or None,
        )
        for event in document.get("data") or []
    ]
    return History(
        phone_number=str(document.get("phoneNumber")),
        stopped=stopped,
        stop_id=_optional_int(document.get("stopId")) if stopped else None,
        events=events,
    )


def _optional_int(value: Any) -> int | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    return int(value)


def _optional_str(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


# --- retries -------------------------------------------------------------------


class Attempts:
    """Whether and when to send a call again after a failure.

    Reads (``list``, ``check``, ``filter``, ``history``) are retried after any
    network failure or 5xx, with exponential backoff. ``delete`` is retried
    only when the request certainly never reached the server. ``add`` is
    retried too, because the API makes that safe: if the lost attempt did
    land, the retry answers code 3 with the existing ``stopId``, which is
    then the answer.
    """

    def __init__(self, call: Call, conf: Settings) -> None:
        self.call = call
        self.retries = conf.retries
        self.backoff = conf.backoff
        self.failures = 0
        self.maybe_landed = False

    def delay_after(self, error: Exception) -> float:
        """Seconds to wait before the next attempt; re-raises when there is none."""
        retryable = self._retryable(error)
        if isinstance(error, httpx.TransportError) and not _never_sent(error):
            self.maybe_landed = True
        if isinstance(error, ServerError) and error.status_code and error.status_code >= 500:
            self.maybe_landed = True
        if not retryable or self.failures >= self.retries:
            if isinstance(error, httpx.TransportError):
                raise TransportError(f"{self.call.operation}: {_describe(error)}") from error
            raise error
        delay = min(self.backoff * 2.0**self.failures, MAX_BACKOFF)
        self.failures += 1
        return delay

    def settle(self, error: StoplistError) -> dict[str, Any]:
        """An error answer after a retry that may still be the call's success."""
        if (
            self.call.operation == "add"
            and self.maybe_landed
            and isinstance(error, AlreadyStopped)
            and error.stop_id is not None
        ):
            return {"success": True, "code": 200, "stopId": error.stop_id}
        raise error

    def _retryable(self, error: Exception) -> bool:
        if isinstance(error, httpx.TransportError):
            if self.call.idempotent or self.call.operation == "add":
                return True
            return _never_sent(error)
        if isinstance(error, ServerError):
            server_failed = error.status_code is not None and error.status_code >= 500
            return server_failed and (self.call.idempotent or self.call.operation == "add")
        return False


def _never_sent(error: httpx.TransportError) -> bool:
    return isinstance(error, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)


def _describe(error: httpx.TransportError) -> str:
    return str(error) or type(error).__name__
