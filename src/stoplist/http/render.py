"""Turning answers into bytes: JSON, or the seed's ``<result><entry>`` XML.

An answer is one of the models of ``stoplist.client.answers``: JSON is its
``msgspec`` encoding, XML the same values in the same order. The XML shape
drops keys and keeps order: each value of an object or list is an
``<entry>``; booleans are ``true``/``false``, integers bare digits, strings
CDATA, nested objects and lists nested entries. The long answers' items
(the list's rows, filter verdicts) are written by hand, three times faster
than building a model per item (``bench/answers.py``); the end-to-end tests
check those bytes against the models.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import msgspec
import orjson
from starlette.responses import Response

from stoplist.http.negotiation import Format
from stoplist.storage.list_views import EntryBatch

Payload = msgspec.Struct | Mapping[str, Any]
"""An answer model, or a mapping already in wire names and order (the error bodies)."""

JSON_MEDIA_TYPE = "application/json"
XML_MEDIA_TYPE = "application/xml; charset=UTF-8"
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'

_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def cdata(text: str) -> str:
    """A CDATA section for ``text``; a ``]]>`` inside is split across two sections."""
    text = _XML_ILLEGAL.sub("\ufffd", text)
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def xml_value(value: Any) -> str:
    """The inside of one ``<entry>``."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return ""
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return cdata(value)
    if isinstance(value, Mapping):
        return "".join(f"<entry>{xml_value(item)}</entry>" for item in value.values())
    if isinstance(value, Sequence):
        return "".join(f"<entry>{xml_value(item)}</entry>" for item in value)
    return cdata(str(value))


def xml_document(payload: Mapping[str, Any]) -> bytes:
    return (XML_DECLARATION + "<result>" + xml_value(payload) + "</result>\n").encode()


_JSON = msgspec.json.Encoder()


def encode(payload: Payload, fmt: Format) -> bytes:
    if isinstance(payload, msgspec.Struct):
        if fmt == "xml":
            return xml_document(msgspec.to_builtins(payload))
        return _JSON.encode(payload)
    return xml_document(payload) if fmt == "xml" else orjson.dumps(payload)


def around_items(answer: msgspec.Struct, fmt: Format) -> tuple[bytes, bytes]:
    """The bytes of ``answer`` before and after the items of its last field, an empty list.

    A streamed answer sends its head, then its items chunk by chunk, then this tail.
    """
    whole = encode(answer, fmt)
    if fmt == "xml":
        end = b"<entry></entry></result>\n"
        if not whole.endswith(end):
            raise ValueError("the answer does not end with an empty list")
        return whole[: -len(end)] + b"<entry>", b"</entry></result>\n"
    if not whole.endswith(b"[]}"):
        raise ValueError("the answer does not end with an empty list")
    return whole[:-2], b"]}"


LIST_SEPARATOR = {"json": b",", "xml": b""}
"""What goes between two runs of ``list_rows`` in each format."""


def list_head(fmt: Format, total: int) -> bytes:
    """A listing up to its first entry (``nbData`` is ``total``)."""
    if fmt == "xml":
        return (
            f"{XML_DECLARATION}<result><entry>true</entry><entry>200</entry>"
            f"<entry>{total}</entry><entry>"
        ).encode()
    return f'{{"success":true,"code":200,"nbData":{total},"data":['.encode()


def list_rows(fmt: Format, batch: EntryBatch, local_time: Callable[[int], str]) -> bytes:
    """The entries of ``batch``, with nothing before the first or after the last.

    Numbers are ``+`` and digits and dates are digits, so nothing needs
    escaping: one f-string an entry is the whole cost.
    """
    entries = zip(batch.ids, batch.numbers, map(local_time, batch.created_at), strict=True)
    if fmt == "xml":
        return "".join(
            [
                f"<entry><entry>{i}</entry><entry><![CDATA[{n}]]></entry>"
                f"<entry><![CDATA[{c}]]></entry></entry>"
                for i, n, c in entries
            ]
        ).encode()
    return ",".join(
        [f'{{"id":{i},"phoneNumber":"{n}","createdAt":"{c}"}}' for i, n, c in entries]
    ).encode()


def list_tail(fmt: Format, *, paged: bool = False, next_after: int | None = None) -> bytes:
    """The end of a listing; a ``paged`` one ends with ``nextAfter``."""
    if fmt == "xml":
        if paged:
            return f"</entry><entry>{next_after or ''}</entry></result>\n".encode()
        return b"</entry></result>\n"
    if paged:
        return f'],"nextAfter":{"null" if next_after is None else next_after}}}'.encode()
    return b"]}"


def encode_listing(
    fmt: Format,
    total: int,
    batches: Iterable[EntryBatch],
    local_time: Callable[[int], str],
    *,
    paged: bool = False,
    more: bool = False,
) -> Iterator[bytes]:
    """A listing, chunk by chunk: its head, one chunk per batch of entries, its tail.

    ``more`` says that a ``paged`` listing has a next page.
    """
    yield list_head(fmt, total)
    last_id: int | None = None
    separator = b""
    for batch in batches:
        if not len(batch):
            continue
        last_id = batch.last_id
        yield separator + list_rows(fmt, batch, local_time)
        separator = LIST_SEPARATOR[fmt]
    yield list_tail(fmt, paged=paged, next_after=last_id if more else None)


def media_type(fmt: Format) -> str:
    return XML_MEDIA_TYPE if fmt == "xml" else JSON_MEDIA_TYPE


def respond(payload: Payload, fmt: Format, status_code: int = 200) -> Response:
    return Response(encode(payload, fmt), status_code=status_code, media_type=media_type(fmt))
