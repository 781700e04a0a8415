"""Reading back the list's own JSON and NDJSON exports, as the numbers they list.

``export`` writes a list as CSV, a JSON array of ``{"id", "phoneNumber",
"createdAt", "source"}`` objects, or NDJSON (one such object a line). A
backup restored, or a list moved to another installation, must import
whichever was chosen. So a text whose first characters open a JSON array of
objects (``[{``) or an NDJSON object (``{"``) is read as one: its entries'
``phoneNumber`` values become lines of one known column (``KnownColumn``),
which the import reads as it reads any file, through the same staging,
checks and report. Other members are ignored; an entry must be an object
with a ``phoneNumber`` string, and anything else refuses the whole file
(``UnreadableExport``; the import writes nothing): a backup that does not
read back whole is a problem to see.

A line of the report is a line of an NDJSON file, and an entry (from 1) of
a JSON array, which ``export`` writes on one line.

Memory stays bounded whatever the size, as for any other file:
- NDJSON is read a block of lines at a time, each line decoded by itself
  (``msgspec``, into the one member wanted): a line is an entry;
- a JSON array is never parsed whole: each block is cut after the last
  ``},`` it holds and the entries before it decoded as one array, so the
  96 MB export of a million numbers costs a block of text and its entries
  at a time. An entry
  whose ``},`` is inside a string, or is missing, is read the slow way
  (``json.JSONDecoder.raw_decode`` finds its end, ``msgspec`` judges it
  as in the fast way), so the outcome never depends on where blocks end.
An entry, or a line, longer than ``MAX_LINE_CHARS`` is no entry of an
export (one is some 90 characters) and is never held past that.
"""

from __future__ import annotations

import json
import re
from collections.abc import Generator
from typing import Protocol, TypeVar

import msgspec

from stoplist.domain.columns import KnownColumn
from stoplist.domain.errors import UnreadableExport
from stoplist.domain.imports import MAX_LINE_CHARS

EXPORT_COLUMN = KnownColumn("phoneNumber")
_BLOCK_CHARS = 1 << 20
_SNIFF_CHARS = 4096
_MAX_SNIFF_CHARS = 1 << 16
"""White space read, at most, before the first character tells what the file is."""
_JSON_BLANKS = " \t\n\r"
_BLANKS = re.compile("[ \t\n\r]*")
_ARRAY_STARTS = '{]["'
"""What may follow an array's ``[`` for it to be read as JSON (not ``[Phone]``, ``[06...``)."""
_OBJECT_STARTS = '"}'


class _Entry(msgspec.Struct, rename="camel"):
    """The one member of an export's entry that an import reads."""

    phone_number: str


_ENTRY = msgspec.json.Decoder(_Entry)
_ENTRIES = msgspec.json.Decoder(list[_Entry])
_DELIMIT = json.JSONDecoder().raw_decode
_BLANK_CELL = re.compile(r"(?m)^\s*$")
"""An empty or blank value among joined cells (or a cell with a line end inside)."""


class _Text(Protocol):
    consumed: int

    def read(self, size: int = -1, /) -> str: ...

    def unread(self, text: str) -> None: ...

    def close(self) -> None: ...


_T = TypeVar("_T", bound=_Text)
_Blocks = Generator[str, None, None]
"""Blocks of lines, each ending with its line end, never empty."""


def exported_list(text: _T) -> _T | ExportNumbers:
    """``text`` as it was, or the numbers of the JSON or NDJSON export it begins as."""
    head = ""
    fmt: str | None = None
    while len(head) < _MAX_SNIFF_CHARS:
        data = text.read(_SNIFF_CHARS)
        head += data
        fmt, decided = _sniffed(head)
        if decided or not data:
            break
    if fmt is None:
        text.unread(head)
        return text
    return ExportNumbers(text, head, fmt)


def _sniffed(head: str) -> tuple[str | None, bool]:
    """The export format ``head`` begins as (None: not one), and whether that is sure yet."""
    start = head.lstrip(_JSON_BLANKS)
    if not start:
        return None, False
    if start[0] not in "[{":
        return None, True
    after = start[1:].lstrip(_JSON_BLANKS)
    if not after:
        return None, False
    if start[0] == "[":
        return ("json" if after[0] in _ARRAY_STARTS else None), True
    return ("ndjson" if after[0] in _OBJECT_STARTS else None), True


class ExportNumbers:
    """An export's ``phoneNumber`` values as the lines of a text (``ImportText``)."""

    known_column = EXPORT_COLUMN

    def __init__(self, text: _Text, head: str, fmt: str) -> None:
        self._text = text
        self.kind = fmt
        self.consumed = text.consumed
        reader = _ArrayEntries(text, head) if fmt == "json" else _NdjsonLines(text, head)
        self._blocks = reader.blocks()

    def read(self, size: int = -1, /) -> str:
        """The cells of the next block of entries, a line each; "" only at the end."""
        block = next(self._blocks, "")
        self.consumed = self._text.consumed
        return block

    def close(self) -> None:
        self._blocks.close()
        self._text.close()


class _NdjsonLines:
    """The cells of NDJSON lines: one a line, and a blank line kept blank (line numbers hold)."""

    def __init__(self, text: _Text, head: str) -> None:
        self._text = text
        self._head = head
        self._line = 0

    def blocks(self) -> _Blocks:
        text = self._head
        while True:
            data = self._text.read(_BLOCK_CHARS)
            text = text + data if text else data
            if not data:
                if text:  # the last lines (all of a file the sniffing read whole)
                    yield self._block(text.removesuffix("\n").split("\n"))
                return
            cut = text.rfind("\n") + 1
            if cut:
                yield self._block(text[: cut - 1].split("\n"))
            text = text[cut:]
            if len(text) > MAX_LINE_CHARS:
                raise _refused("ndjson", self._line + 1, malformed=False)

    def _block(self, lines: list[str]) -> str:
        first, self._line = self._line, self._line + len(lines)
        if max(map(len, lines)) <= MAX_LINE_CHARS:
            try:
                return _lines([_ENTRY.decode(line).phone_number for line in lines])
            except (msgspec.DecodeError, RecursionError):
                pass  # a blank line, or a line that is no entry: each is looked at
        cells: list[str] = []
        for line_number, line in enumerate(lines, first + 1):
            if len(line) > MAX_LINE_CHARS:
                raise _refused("ndjson", line_number, malformed=False)
            cells.append(_cell(_decoded(line, "ndjson", line_number)) if line.strip() else "")
        return "\n".join(cells) + "\n"


class _ArrayEntries:
    """The cells of a JSON array's entries, a block at a time, one per entry."""

    def __init__(self, text: _Text, head: str) -> None:
        self._text = text
        self._buffer = head
        self._pos = 0
        self._dropped = 0
        """Characters dropped from the buffer's start: ``_dropped + _pos`` is where it reads."""
        self._count = 0
        self._eof = False
        self._closed = False
        self._uncut = False
        """No ``},`` is left in the buffer: the fast way waits for the next block."""

    def blocks(self) -> _Blocks:
        self._open()
        while not self._closed:
            block = self._run()
            if not block:
                if self._wants_more():
                    continue
                block = self._one() + "\n"
            yield block
        self._rest_is_blank()

    def _open(self) -> None:
        """Past the ``[`` (what ``exported_list`` saw), and its ``]`` for an empty array."""
        self._next_char()
        self._pos += 1
        if self._next_char() == "]":
            self._pos += 1
            self._closed = True

    def _run(self) -> str:
        """The entries up to the buffer's last ``},``, decoded as one array (the fast way).

        Entries whose ``},`` is in a string, or not there, or one that may be
        longer than ``MAX_LINE_CHARS``, are left to the slow way, which sees
        each entry whole.
        """
        cut = -1 if self._uncut else self._buffer.rfind("},", self._pos)
        if cut < 0:
            self._uncut = True  # until the next block: searched again, it would be quadratic
            return ""
        body = self._buffer[self._pos : cut + 1]
        try:
            entries = _ENTRIES.decode("[" + body + "]")
        except (msgspec.DecodeError, RecursionError):
            return self._one_by_one(self._dropped + cut)
        if not _each_within_bound(body, len(entries)):
            return self._one_by_one(self._dropped + cut)
        self._pos = cut + 2
        self._count += len(entries)
        return _lines([entry.phone_number for entry in entries])

    def _one_by_one(self, until: int) -> str:
        """The entries up to ``until`` (a place in the file) the slow way, which finds the fault.

        Or reads them: the ``},`` was in a string, and the ones before it hold.
        """
        cells: list[str] = []
        while self._dropped + self._pos <= until and not self._closed:
            cells.append(self._one())
        return "\n".join(cells) + "\n"

    def _one(self) -> str:
        """The cell of the next entry, and the ``,`` or ``]`` after it."""
        at = self._count + 1
        if not self._next_char():
            raise _refused("json", at, malformed=True)
        while True:
            start = self._pos
            try:
                _, end = _DELIMIT(self._buffer, start)
                break
            except json.JSONDecodeError:
                if len(self._buffer) - start > MAX_LINE_CHARS or not self._more():
                    raise _refused("json", at, malformed=True) from None
            except RecursionError:
                raise _refused("json", at, malformed=False) from None
        if end - start > MAX_LINE_CHARS:
            raise _refused("json", at, malformed=False)
        number = _decoded(self._buffer[start:end], "json", at)
        self._pos = end
        self._count = at
        after = self._next_char()
        if after not in (",", "]"):
            raise _refused("json", at + 1, malformed=True)
        self._pos += 1
        self._closed = after == "]"
        return _cell(number)

    def _rest_is_blank(self) -> None:
        """Nothing but white space after the array, read to the end."""
        while True:
            if self._buffer[self._pos :].strip(_JSON_BLANKS):
                raise _refused("json", self._count + 1, malformed=True)
            self._pos = len(self._buffer)
            if not self._more():
                return

    def _next_char(self) -> str:
        """The next character that is not white space, left unread ("" at the end)."""
        while True:
            self._pos = _BLANKS.match(self._buffer, self._pos).end()  # type: ignore[union-attr]
            if self._pos < len(self._buffer):
                return self._buffer[self._pos]
            if not self._more():
                return ""

    def _wants_more(self) -> bool:
        """Read a block more when what is left is short, as an entry cut by a block's end is."""
        return len(self._buffer) - self._pos <= MAX_LINE_CHARS and self._more()

    def _more(self) -> bool:
        """Add the next block to what is left of the buffer; False at the end of the file."""
        if self._eof:
            return False
        data = self._text.read(_BLOCK_CHARS)
        if not data:
            self._eof = True
            return False
        self._dropped += self._pos
        self._buffer = self._buffer[self._pos :] + data
        self._pos = 0
        self._uncut = False
        return True


def _each_within_bound(body: str, count: int) -> bool:
    """Whether none of ``count`` entries of ``body`` can be longer than ``MAX_LINE_CHARS``.

    When ``},`` only separates them, a longer one spans a whole tile of half
    that length without one, so a few dozen ``find`` calls a block tell (as
    ``imports`` finds long lines). Otherwise (a ``},`` inside an entry) no:
    the slow way measures each.
    """
    if body.count("},") != count - 1:
        return False
    tile = MAX_LINE_CHARS // 2
    return all(body.find("},", at, at + tile + 1) >= 0 for at in range(0, len(body) - tile, tile))


def _decoded(text: str, fmt: str, at: int) -> str:
    """The ``phoneNumber`` of one entry, or the refusal of the file at ``at``."""
    try:
        return _ENTRY.decode(text).phone_number
    except (msgspec.ValidationError, RecursionError):  # nested past any entry of an export
        raise _refused(fmt, at, malformed=False) from None
    except msgspec.DecodeError:
        raise _refused(fmt, at, malformed=True) from None


def _lines(numbers: list[str]) -> str:
    """``numbers`` (at least one) as lines of one cell each: all checked at once, and
    made cells one by one only when one needs it."""
    joined = "\n".join(numbers)
    if "\r" in joined or _BLANK_CELL.search(joined) or joined.count("\n") != len(numbers) - 1:
        joined = "\n".join(map(_cell, numbers))
    return joined + "\n"


def _cell(number: str) -> str:
    """A value as one line's cell: a line end inside is a space, and an empty one is ``""``.

    Read as a blank line, an entry without a number would go unreported.
    """
    cell = number.replace("\r", " ").replace("\n", " ")
    return cell if cell.strip() else '""'


def _refused(fmt: str, at: int, *, malformed: bool) -> UnreadableExport:
    return UnreadableExport(fmt, at, malformed=malformed, limit_kib=MAX_LINE_CHARS // 1024)
