"""What every API request starts with: its parameters, format, language and account.

Parameters come from the query string, then a JSON body, then a form body, a
later source overriding an earlier one. The body is read as JSON whatever the
Content-Type says when it looks like JSON, because real clients post
``json_encode(...)`` as ``application/x-www-form-urlencoded`` or with no type.
A name repeated in a query string or a form (``phoneNumbers=a&phoneNumbers=b``,
as ``requests`` sends a list) is a list of its values, as in JSON: a list of
numbers where one was expected is refused, never cut down to its last value.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from stoplist.domain.checking import Checker
from stoplist.domain.errors import (
    BodyTooLarge,
    InvalidParameter,
    MalformedBody,
    ParameterRefused,
    ParameterRule,
)
from stoplist.domain.stops import StopList
from stoplist.http import render
from stoplist.http.negotiation import Format, language, response_format
from stoplist.i18n import Language, catalogue
from stoplist.records.models import Account
from stoplist.storage.database import Database

MAX_TEXT = 1000
"""Characters a free-text parameter (who acted, why) may hold."""
MAX_BODY_VALUES = 10_000
"""Values (array items, object members) a JSON body of parameters may hold."""
_MAX_FORM_FIELDS = 1000
_PARSE_INLINE_BYTES = 1024 * 1024
"""Larger bodies are parsed on a worker thread, not on the event loop."""
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')


@dataclass(slots=True)
class ApiCall:
    request: Request
    params: dict[str, Any]
    format: Format
    language: Language
    account: Account
    stop_list: StopList

    def respond(self, payload: render.Payload, status_code: int = 200) -> Response:
        return render.respond(payload, self.format, status_code)

    def param(self, *names: str) -> Any:
        """The first of ``names`` that was sent with a non-empty value."""
        return first_param(self.params, *names)

    def text_param(self, name: str) -> str | None:
        """A free-text parameter, trimmed (None: not sent or blank); code 91 if it is
        not text or longer than ``MAX_TEXT``."""
        value = self.param(name)
        if value is None:
            return None
        if not isinstance(value, str):
            raise ParameterRefused(ParameterRule.NOT_TEXT, name=name)
        value = value.strip()
        if len(value) > MAX_TEXT:
            raise ParameterRefused(ParameterRule.TOO_LONG, name=name, limit=MAX_TEXT)
        return value or None


def first_param(params: dict[str, Any], *names: str) -> Any:
    """The first of ``names`` sent in ``params`` with a non-empty value, or None."""
    for name in names:
        value = params.get(name)
        if value is not None and value != "":
            return value
    return None


async def open_call(request: Request, *, max_body: int | None = None) -> ApiCall:
    """Read and authenticate a request; raises the contract's errors."""
    params = await read_params(request, max_body=max_body)
    return await authenticated_call(request, params)


async def read_params(request: Request, *, max_body: int | None = None) -> dict[str, Any]:
    """The query string's parameters, overridden by those of the body."""
    params = query_params(request)
    request.state.format = response_format(params.get("_format"))
    if _may_have_body(request):
        body = await read_body(request, max_body or request.app.state.max_body_bytes)
        params.update(await parse_body(request, body))
    return params


def query_params(request: Request) -> dict[str, Any]:
    """The query string's parameters, decoded as Starlette decodes them (a repeated name:
    a list of its values)."""
    query = request.scope["query_string"].decode("latin-1")
    return params_of(parse_qsl(query, keep_blank_values=True))


def params_of(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """Parameters from name-value pairs: a name's value, or the list of a repeated name's."""
    values: dict[str, list[Any]] = {}
    for name, value in pairs:
        values.setdefault(name, []).append(value)
    return {name: held[0] if len(held) == 1 else held for name, held in values.items()}


def one_value(params: Mapping[str, Any], name: str, language: Language) -> Any:
    """``params[name]`` (None: not sent); code 91 when the name was sent more than once.

    Which of the values the client meant cannot be told, so none is used.
    """
    value = params.get(name)
    if isinstance(value, list):
        raise sent_more_than_once(name, len(value), language)
    return value


def sent_more_than_once(name: str, count: int, language: Language) -> InvalidParameter:
    """The code 91 for a parameter sent ``count`` times where one value is expected."""
    words = catalogue(language)
    return InvalidParameter(
        words.text(
            "%(name)s was sent %(count)s times, but only one is accepted", name=name, count=count
        )
    )


async def authenticated_call(request: Request, params: dict[str, Any]) -> ApiCall:
    """The call for parameters already read (handlers that read the body themselves)."""
    fmt = _format(request, params)
    checker: Checker = request.app.state.checker
    authenticated = await checker.authenticate(api_key(request, params))
    return _call(request, params, fmt, authenticated.account)


def _may_have_body(request: Request) -> bool:
    """False for the usual ``GET``: no length and no chunks announced, so no body to wait for.

    Read from the raw headers (ASGI servers give their names in lower case).
    """
    for name, value in request.scope["headers"]:
        if name == b"transfer-encoding" or (name == b"content-length" and value != b"0"):
            return True
    return False


def _format(request: Request, params: dict[str, Any]) -> Format:
    fmt = response_format(params.get("_format"))
    request.state.format = fmt
    return fmt


def _call(request: Request, params: dict[str, Any], fmt: Format, account: Account) -> ApiCall:
    db: Database = request.app.state.db
    return ApiCall(
        request=request,
        params=params,
        format=fmt,
        language=language(request.headers.get("accept-language")),
        account=account,
        stop_list=StopList(db, account),
    )


def api_key(request: Request, params: dict[str, Any]) -> str | None:
    """``apiKey`` from the parameters, else a bearer token or ``X-Api-Key``."""
    value = params.get("apiKey")
    if isinstance(value, list) and len(set(map(str, value))) == 1:
        value = value[0]  # one key, repeated (a form that also carries it in its action)
    if isinstance(value, str) and value.strip():
        return value
    return header_api_key(
        request.headers.get("authorization", ""), request.headers.get("x-api-key", "")
    )


def header_api_key(authorization: str, x_api_key: str) -> str | None:
    """The key of ``Authorization: Bearer <key>``, else of ``X-Api-Key``."""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return x_api_key or None


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing with ``BodyTooLarge`` past ``limit`` bytes.

    The refusal comes as soon as the declared length or the bytes received
    go past the limit; the rest of the body is never read.
    """
    refuse_declared_length(request, limit)
    body = bytearray()
    async for chunk in request.stream():
        if len(body) + len(chunk) > limit:
            raise BodyTooLarge()
        body += chunk
    return bytes(body)


def refuse_declared_length(request: Request, limit: int) -> None:
    """``BodyTooLarge`` at once when ``Content-Length`` says more than ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and len(declared) < 20 and int(declared) > limit:
        raise BodyTooLarge()


async def parse_body(
    request: Request, body: bytes, *, max_values: int = MAX_BODY_VALUES
) -> dict[str, Any]:
    """Parameters carried by the body: a JSON object or a form, or nothing.

    ``max_values`` bounds what parsing may allocate: a megabyte of ``[],``
    would otherwise become a third of a million Python lists.
    """
    content = body.strip().removeprefix(b"\xef\xbb\xbf").strip()
    if not content:
        return {}
    declared = request.headers.get("content-type", "")
    media = declared.split(";")[0].strip().lower()
    if media == "multipart/form-data":
        return await _multipart(request, body)
    charset = _charset(declared)
    if len(content) > _PARSE_INLINE_BYTES:
        return await run_in_threadpool(_parse_content, content, media, max_values, charset)
    return _parse_content(content, media, max_values, charset)


_LEGACY_CHARSETS = frozenset({"iso8859-1", "iso8859-15", "cp1252"})
"""The charsets other than UTF-8 that SMS gateways still declare (``codecs`` names)."""


def _charset(content_type: str) -> str | None:
    """The declared charset to fall back on when the body is not UTF-8, if it is a legacy one.

    Some gateways still send ``charset=iso-8859-1`` forms: read as UTF-8, an
    ``ARRÊT`` would lose its Ê and no longer read as a STOP. Any other
    declaration (a multi-byte or odd codec, a name Python does not know) is
    not trusted: the body is read as UTF-8, as it always was.
    """
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            try:
                found = codecs.lookup(value.strip().strip('"')).name
            except LookupError:
                return None
            return found if found in _LEGACY_CHARSETS else None
    return None


def _parse_content(
    content: bytes, media: str, max_values: int, fallback: str | None = None
) -> dict[str, Any]:
    """Parse a JSON object or a form; bytes (or escapes) that are not UTF-8 are read in
    ``fallback``, the declared legacy charset, if any. Text that reads as UTF-8 is UTF-8:
    Latin-1 text almost never does, and a gateway that declares Latin-1 may send UTF-8."""
    if fallback is not None:
        content = _as_utf8(content, fallback)
    if content[:1] in (b"{", b"[") or media.endswith("json"):
        _check_json_values(content, max_values)
        try:
            value = orjson.loads(content)
        except orjson.JSONDecodeError:
            raise MalformedBody() from None
        if not isinstance(value, dict):
            raise MalformedBody()
        return value
    try:
        return params_of(_form_pairs(content.decode(), fallback))
    except (UnicodeDecodeError, ValueError):
        raise MalformedBody() from None


def _as_utf8(content: bytes, fallback: str) -> bytes:
    try:
        content.decode()
    except UnicodeDecodeError:
        return content.decode(fallback, errors="replace").encode()
    return content


def _form_pairs(text: str, fallback: str | None) -> list[tuple[str, str]]:
    def parsed(**decoding: str) -> list[tuple[str, str]]:
        return parse_qsl(
            text,
            keep_blank_values=True,
            strict_parsing=True,
            max_num_fields=_MAX_FORM_FIELDS,
            **decoding,
        )

    if fallback is None:
        return parsed()
    try:
        return parsed(errors="strict")
    except UnicodeDecodeError:
        return parsed(encoding=fallback, errors="replace")


def _check_json_values(content: bytes, max_values: int) -> None:
    """Refuse a JSON text of more than ``max_values`` values before parsing it.

    Values are separated by commas, so there are at most one more than
    there are commas outside strings; commas inside strings are only
    counted out when the plain count is over the bound.
    """
    if content.count(b",") < max_values:
        return
    if _JSON_STRING.sub(b"", content).count(b",") >= max_values:
        raise ParameterRefused(ParameterRule.TOO_MANY_JSON_VALUES, limit=max_values)


async def _multipart(request: Request, body: bytes) -> dict[str, Any]:
    async def replay() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        form = await Request(request.scope, replay).form()
    except Exception:
        raise MalformedBody() from None
    return params_of((key, value) for key, value in form.multi_items() if isinstance(value, str))
