"""An account's whole event history, for audits and legal discovery, as CSV or NDJSON.

Shared by ``GET /v1/events/export`` and ``stoplist events export``. The
events of a date range (on their event time, ``since`` inclusive, ``until``
exclusive) come in chain order from one snapshot, a block at a time, and
leave as chunks of bytes: an export of millions of events never sits in
memory. Times are UTC, ISO 8601 with microseconds, as stored; hashes and
digests are hexadecimal. (``json``, one array, is accepted too, like the
list's export.)

NDJSON and JSON carry every value as stored, so a text can be checked
against its digest. CSV is for opening in a spreadsheet: a text cell that a
spreadsheet would run as a formula gets an apostrophe in front
(``csv_cells``), which a digest check must drop first.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Generator
from contextlib import closing
from typing import Any

import orjson

from stoplist.domain import clock
from stoplist.domain.audit import export_events
from stoplist.domain.csv_cells import text_cell
from stoplist.domain.errors import ParameterRefused, ParameterRule
from stoplist.domain.exports import export_format
from stoplist.domain.parameters import instant
from stoplist.records.events import ChainedEvent
from stoplist.records.models import Account
from stoplist.storage.database import Database

COLUMNS = (
    "id",
    "chainSeq",
    "phoneNumber",
    "type",
    "source",
    "eventAt",
    "receivedAt",
    "provider",
    "providerMessageId",
    "text",
    "actor",
    "reason",
    "signatureVerified",
    "details",
    "prevHash",
    "hash",
    "textDigest",
    "numberDigest",
)
_ROWS_PER_CHUNK = 2000
_MADE_HERE = frozenset(
    {
        "phoneNumber",
        "type",
        "source",
        "eventAt",
        "receivedAt",
        "prevHash",
        "hash",
        "textDigest",
        "numberDigest",
    }
)
"""Text columns that CSV writes as stored, since stoplist makes or checks what they hold. A
number is E.164, ``+`` and digits checked before it is recorded (or an erased number's ``#``
stand-in, or empty): a spreadsheet reads it as a number at worst, never as a call, and its
``+`` must stay for ``stoplist import`` to read the file back. Kinds and sources are
stoplist's own names; times and digests are written by it. Every other text cell may come
from outside (what a person texted, a provider's name and message id, who acted and why,
details) and goes through ``csv_cells.text_cell``."""


def utc(instant_us: int) -> str:
    """An instant as ISO 8601 UTC with microseconds (``2026-12-01T14:02:14.123456Z``)."""
    return clock.from_us(instant_us).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def hex_or_none(value: bytes | None) -> str | None:
    return None if value is None else value.hex()


def signature_verified(item: ChainedEvent) -> bool | None:
    """Whether the provider's request was signed and checked (None: not a provider's)."""
    found = item.event.details.get("signatureVerified")
    return found if isinstance(found, bool) else None


def event_record(item: ChainedEvent) -> dict[str, Any]:
    """One exported event, as an object with the ``COLUMNS`` keys in order."""
    event, link = item.event, item.link
    values = (
        event.id,
        link.seq,
        event.phone_number,
        event.kind.value,
        event.source.value,
        utc(event.event_at),
        utc(event.received_at),
        event.provider,
        event.provider_message_id,
        event.text,
        event.actor,
        event.reason,
        signature_verified(item),
        event.details or None,
        hex_or_none(link.prev_hash),
        hex_or_none(link.hash),
        hex_or_none(link.text_digest),
        hex_or_none(link.number_digest),
    )
    return dict(zip(COLUMNS, values, strict=True))


def export_range(
    raw_since: object, raw_until: object, account: Account
) -> tuple[int | None, int | None]:
    """``since`` and ``until`` as instants (read in the account's zone unless they carry an
    offset), or code 91; so is a ``since`` later than ``until``, which is a mistake (the two
    swapped, a wrong year) that an empty export would hide."""
    since = instant(raw_since, "since", account.zone)
    until = instant(raw_until, "until", account.zone)
    if since is not None and until is not None and since > until:
        raise ParameterRefused(ParameterRule.SINCE_AFTER_UNTIL)
    return since, until


def event_chunks(
    db: Database, account: Account, fmt: str, *, since: int | None, until: int | None
) -> Generator[bytes, None, None]:
    """The events in ``fmt`` (see ``export_format``); close the iterator when done."""
    fmt = export_format(fmt)
    with closing(export_events(db, account, since=since, until=until)) as items:
        # Something comes first whatever the format, so that a caller can start the
        # answer (and meet a bad parameter) before the first event is read.
        yield _csv_rows([COLUMNS]) if fmt == "csv" else b"[" if fmt == "json" else b""
        separator = b""
        block: list[dict[str, Any]] = []
        for item in items:
            block.append(event_record(item))
            if len(block) >= _ROWS_PER_CHUNK:
                yield _encode(block, fmt, separator)
                separator, block = b",", []
        if block:
            yield _encode(block, fmt, separator)
        if fmt == "json":
            yield b"]\n"


def _encode(block: list[dict[str, Any]], fmt: str, separator: bytes) -> bytes:
    if fmt == "csv":
        return _csv_rows([_csv_values(record) for record in block])
    lines = [orjson.dumps(record) for record in block]
    if fmt == "json":
        return separator + b",".join(lines)
    return b"\n".join(lines) + b"\n"


def _csv_values(record: dict[str, Any]) -> list[object]:
    """One row; the text cells not ``_MADE_HERE`` go through ``text_cell``."""
    out: list[object] = []
    for column, value in record.items():
        if isinstance(value, bool):
            out.append("true" if value else "false")
        elif isinstance(value, dict):
            out.append(text_cell(orjson.dumps(value).decode()))
        elif isinstance(value, str) and column not in _MADE_HERE:
            out.append(text_cell(value))
        else:
            out.append("" if value is None else value)
    return out


def _csv_rows(rows: list[Any]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode()
