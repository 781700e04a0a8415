"""Suppression at scale: check, filter, export and import.

Handlers translate only; the rules live in ``stoplist.domain.filtering`` and
``stoplist.domain.imports``. Big bodies get their own limits: a filter body
is parsed whole (64 MiB is about four million E.164 numbers), an import body
is spooled to a temporary file and read line by line, so neither a long
answer nor a long upload is ever held as one string. An import body is the
file itself, or a multipart form whose file part is (``curl -F file=@...``).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import AsyncGenerator, AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from typing import IO, Any

import msgspec
import orjson
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from stoplist import wording
from stoplist.api.body_lines import BodyLines
from stoplist.api.list_renderers import ListRenderer
from stoplist.api.stop_sms import values_sent
from stoplist.client import answers
from stoplist.domain.errors import (
    BodyTooLarge,
    MalformedBody,
    ParameterRefused,
    ParameterRule,
    PhoneNumberRequired,
    Reason,
)
from stoplist.domain.exports import export_chunks, export_format
from stoplist.domain.filtering import HELD, MAX_NUMBERS, Verdicts, filter_numbers
from stoplist.domain.import_files import open_import
from stoplist.domain.imports import ImportReport, import_numbers
from stoplist.domain.stop_index import StopIndexes
from stoplist.http import render
from stoplist.http.call import (
    ApiCall,
    authenticated_call,
    one_value,
    params_of,
    parse_body,
    query_params,
    refuse_declared_length,
    sent_more_than_once,
)
from stoplist.http.negotiation import response_format
from stoplist.i18n import Language
from stoplist.storage.held_opt_outs import HeldOptOuts

MAX_FILTER_BODY_BYTES = 64 * 1024 * 1024
MAX_IMPORT_BODY_BYTES = 1024 * 1024 * 1024
_SPOOL_IN_MEMORY = 1024 * 1024
_MAX_FILTER_VALUES = MAX_NUMBERS + 100
"""A JSON filter body's numbers, plus its few other members."""
_DECIDE_BYTES = 64 * 1024
_LEADING_BLANKS = b"\xef\xbb\xbf \t\r\n"
_LIST_ITEM = re.compile("[^,\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]+")
"""An item of a string list: what ``str.splitlines`` and commas separate."""
_CHUNK_ITEMS = 10_000
EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "ndjson": "application/x-ndjson",
}


async def filter_list(request: Request) -> Response:
    request.state.format = response_format(request.query_params.get("_format"))
    params = query_params(request)
    inputs, body = await _read_filter_body(request)
    if inputs is None:
        params.update(await parse_body(request, body, max_values=_MAX_FILTER_VALUES))
    call = await authenticated_call(request, params)
    if inputs is None:
        # Numbers under either name are all answered, those of ``phoneNumber`` first.
        sent = values_sent(call.params) or [None]  # none: error 2
        inputs = [number for value in sent for number in _number_list(value)]
    indexes: StopIndexes = request.app.state.stop_indexes
    held: HeldOptOuts | None = request.app.state.held_opt_outs
    verdicts = await run_in_threadpool(filter_numbers, call.stop_list, inputs, indexes, held)
    media = render.media_type(call.format)
    return StreamingResponse(_filter_chunks(call, inputs, verdicts), media_type=media)


async def _read_filter_body(request: Request) -> tuple[list[str] | None, bytes]:
    """A text body's lines, counted as they arrive; or the body of JSON or a form.

    The first line tells which it is. A text body is refused at its
    1,000,001st number or its 64 MiB and first byte over, without reading
    the rest; nothing else is kept of it than its lines.
    """
    refuse_declared_length(request, MAX_FILTER_BODY_BYTES)
    chunks = request.stream()
    head = bytearray()
    async for chunk in chunks:
        head += chunk
        if len(head) > MAX_FILTER_BODY_BYTES:
            raise BodyTooLarge()
        if len(head) >= _DECIDE_BYTES or b"\n" in head.lstrip(_LEADING_BLANKS):
            break
    if not _is_text_list(request, bytes(head)):
        rest = await _rest_of_body(chunks, head)
        return None, rest
    lines = BodyLines(max_bytes=MAX_FILTER_BODY_BYTES, max_lines=MAX_NUMBERS, too_many=_too_many)
    lines.feed(bytes(head))
    del head
    async for chunk in chunks:
        lines.feed(chunk)
    return lines.finish(), b""


async def _rest_of_body(chunks: AsyncIterator[bytes], head: bytearray) -> bytes:
    async for chunk in chunks:
        if len(head) + len(chunk) > MAX_FILTER_BODY_BYTES:
            raise BodyTooLarge()
        head += chunk
    return bytes(head)


def _too_many() -> Exception:
    return ParameterRefused(ParameterRule.TOO_MANY_NUMBERS, limit=MAX_NUMBERS)


async def export(request: Request) -> Response:
    call = await authenticated_call(request, query_params(request))
    fmt = export_format(call.params.get("format"))
    chunks = export_chunks(call.stop_list, fmt)
    first = await run_in_threadpool(next, chunks)
    headers = {"Content-Disposition": f'attachment; filename="stop-list.{fmt}"'}
    return StreamingResponse(_prepend(first, chunks), media_type=EXPORT_TYPES[fmt], headers=headers)


async def import_file(request: Request) -> Response:
    """The body is the file (or a multipart form with one); the key is outside the file.

    ``column`` (a header or a position from 1) and ``sheet`` (of a workbook)
    come from the query string or the form's fields.
    """
    call = await authenticated_call(request, query_params(request))
    spool = await _spool(request)
    try:
        upload = await _upload(call, spool)
        try:
            report = await run_in_threadpool(_import, call, upload)
        finally:
            upload.close()
    finally:
        spool.close()
    if report.added:
        # Before answering, so that a listing asked the moment the import has
        # answered is sent from a copy (at most one rendering more here).
        renderer: ListRenderer = request.app.state.list_renderer
        await run_in_threadpool(renderer.prepare, call.stop_list, "json")
    return call.respond(msgspec.convert({**answers.ok(), **report.summary()}, answers.Import))


@dataclass(slots=True)
class _Upload:
    """The file to import and the options sent with it."""

    file: IO[bytes]
    filename: str | None
    column: str | None
    sheet: str | None
    parts: list[UploadFile]

    def close(self) -> None:
        for part in self.parts:
            part.file.close()


def _import(call: ApiCall, upload: _Upload) -> ImportReport:
    text = open_import(upload.file, filename=upload.filename, sheet=upload.sheet)
    try:
        return import_numbers(call.stop_list, text, actor="api", column=upload.column)
    finally:
        text.close()


async def _upload(call: ApiCall, spool: IO[bytes]) -> _Upload:
    """The spooled body as the file to import, or the file part of a multipart body.

    An option or a file sent twice in one place is refused, never cut down to
    one: importing a column or a file other than the one meant, and answering
    success, would hide it. A form's field overrides the query string's.
    """
    language = call.language
    filename = _option(call.params, "filename", language)
    column = _option(call.params, "column", language)
    sheet = _option(call.params, "sheet", language)
    spool.seek(0)
    media = call.request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "multipart/form-data":
        return _Upload(spool, filename, column, sheet, [])
    form = await _form(call.request, spool)
    files = [value for _, value in form.multi_items() if isinstance(value, UploadFile)]
    try:
        fields = params_of(
            (key, value) for key, value in form.multi_items() if isinstance(value, str)
        )
        chosen = _file_part(form, files, language)
        column = _option(fields, "column", language) or column
        sheet = _option(fields, "sheet", language) or sheet
    except BaseException:
        for part in files:
            part.file.close()
        raise
    chosen.file.seek(0)
    return _Upload(chosen.file, chosen.filename, column, sheet, files)


async def _form(request: Request, spool: IO[bytes]) -> FormData:
    parser = MultiPartParser(request.headers, _chunks(spool))
    try:
        return await parser.parse()
    except MultiPartException:
        raise MalformedBody() from None


def _file_part(form: FormData, files: list[UploadFile], language: Language) -> UploadFile:
    """The part named ``file``, else the only file part there is.

    Several are refused: one import reads one file, and the others would be
    left out with a success that says nothing of them.
    """
    named = [
        part for key, part in form.multi_items() if key == "file" and isinstance(part, UploadFile)
    ]
    candidates = named or files
    if len(candidates) > 1:
        raise sent_more_than_once("file", len(candidates), language)
    if not candidates:
        raise ParameterRefused(ParameterRule.NO_FILE_PART)
    return candidates[0]


def _option(values: Mapping[str, Any], name: str, language: Language) -> str | None:
    """A text option, trimmed (None: not sent or blank); code 91 when it was sent twice."""
    return (one_value(values, name, language) or "").strip() or None


async def _chunks(spool: IO[bytes]) -> AsyncGenerator[bytes, None]:
    while chunk := spool.read(1 << 16):
        yield chunk


async def _spool(request: Request) -> IO[bytes]:
    refuse_declared_length(request, MAX_IMPORT_BODY_BYTES)
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)  # noqa: SIM115 (caller closes)
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_IMPORT_BODY_BYTES:
                raise BodyTooLarge()
            spool.write(chunk)
    except BaseException:
        spool.close()
        raise
    return spool


def _is_text_list(request: Request, body: bytes) -> bool:
    """A body of numbers, one per line, as opposed to JSON or a form."""
    content = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not content or content[:1] in (b"{", b"[") or media.endswith("json"):
        return False
    if media in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return b"=" not in content.split(b"\n", 1)[0]
    return True


def _number_list(value: object) -> list[Any]:
    """A list as sent, or the numbers of a string separated by commas or line breaks."""
    if value is None or value == "":
        raise PhoneNumberRequired()
    if isinstance(value, list):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return [value]
    if isinstance(value, str):
        numbers: list[Any] = []
        for match in _LIST_ITEM.finditer(value):
            item = match.group().strip()
            if item:
                numbers.append(item)
                if len(numbers) > MAX_NUMBERS:
                    raise _too_many()
        return numbers
    raise ParameterRefused(ParameterRule.NUMBER_LIST, name="phoneNumbers")


def _filter_chunks(call: ApiCall, inputs: list[Any], verdicts: Verdicts) -> Iterator[bytes]:
    counts = answers.FilterCounts(
        allowed=verdicts.allowed, stopped=verdicts.stopped, invalid=verdicts.invalid
    )
    empty = answers.Filter(**answers.ok(), nb_data=len(inputs), counts=counts, data=[])
    head, tail = render.around_items(empty, call.format)
    yield head
    invalid = _InvalidItems(call.language, verdicts.reasons)
    if call.format == "xml":
        for start in range(0, len(inputs), _CHUNK_ITEMS):
            items = _items(inputs, verdicts, start, invalid)
            yield "".join(f"<entry>{render.xml_value(item)}</entry>" for item in items).encode()
    else:
        separator = b""
        for start in range(0, len(inputs), _CHUNK_ITEMS):
            yield separator + _json_items(inputs, verdicts, start, invalid)
            separator = b","
    yield tail


def _items(
    inputs: list[Any], verdicts: Verdicts, start: int, invalid: _InvalidItems
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    numbers, stop_ids = verdicts.numbers, verdicts.stop_ids
    for index in range(start, min(start + _CHUNK_ITEMS, len(inputs))):
        number = numbers[index]
        if number is None:
            items.append(invalid.item(inputs[index]))
        elif stop_ids[index] is None:
            items.append({"phoneNumber": number, "status": "allowed"})
        elif stop_ids[index] == HELD:
            # XML keeps no names, only order: an entry more would be read as the stop id.
            items.append({"phoneNumber": number, "status": "stopped"})
        else:
            items.append({"phoneNumber": number, "status": "stopped", "stopId": stop_ids[index]})
    return items


def _json_items(inputs: list[Any], verdicts: Verdicts, start: int, invalid: _InvalidItems) -> bytes:
    """``_items`` as JSON, written directly: numbers are ``+`` and digits, nothing to escape.

    The same bytes as ``answers.FilterItem`` encodes, at a third of the cost.
    """
    end = min(start + _CHUNK_ITEMS, len(inputs))
    parts: list[str] = []
    for number, stop_id, raw in zip(
        verdicts.numbers[start:end], verdicts.stop_ids[start:end], inputs[start:end], strict=True
    ):
        if number is None:
            parts.append(orjson.dumps(invalid.item(raw)).decode())
        elif stop_id is None:
            parts.append(f'{{"phoneNumber":"{number}","status":"allowed"}}')
        elif stop_id == HELD:
            parts.append(f'{{"phoneNumber":"{number}","status":"stopped","pending":true}}')
        else:
            parts.append(f'{{"phoneNumber":"{number}","status":"stopped","stopId":{stop_id}}}')
    return ",".join(parts).encode()


class _InvalidItems:
    """Invalid verdicts in one language: the input, code 9, and why, worded once per reason.

    ``item`` is called for the invalid inputs in input order, so it takes
    their reasons in that order: the loops over every item need no index.
    """

    def __init__(self, language: Language, reasons: dict[int, Reason]) -> None:
        self._language = language
        self._details: dict[Reason, str] = {}
        self._reasons = iter([reasons[position] for position in sorted(reasons)])

    def item(self, raw: object) -> dict[str, Any]:
        why = next(self._reasons, Reason.NOT_A_NUMBER)
        detail = self._details.get(why)
        if detail is None:
            detail = self._details[why] = wording.invalid_number(why, self._language)
        return {
            "input": _shown(raw),
            "status": "invalid",
            "code": 9,
            "reason": why.value,
            "detail": detail,
        }


def _shown(raw: object) -> object:
    """An invalid input as sent, when JSON can carry it back as it was."""
    if raw is None or isinstance(raw, str | int | float | bool):
        return raw
    return str(raw)


def _prepend(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest
