"""Reading the files people import: text in any usual encoding, or a workbook.

One reader for the API, the CLI and the dashboard, so that one file gives one
result wherever it is imported:
- text with a byte order mark is read in its encoding (UTF-8, or UTF-16 as
  Excel saves "Unicode text"); otherwise as UTF-8, and from the first bytes
  that are not UTF-8 on, as Windows-1252 (what spreadsheets on Windows
  write). The two agree on ASCII, which is what a file of numbers mostly is;
- an ``.xlsx`` workbook (recognised by its zip signature or its name) is
  read with ``openpyxl`` in read-only mode, one row at a time, and its first
  sheet (or the one named) becomes CSV text. Numbers stored as numbers lose
  their ``.0``. With ``defusedxml`` installed, ``openpyxl`` parses the
  workbook's XML with it, so an uploaded workbook cannot expand entities.
  Nor can it expand its zip: a workbook whose parts would unpack past the
  bounds below is refused from its zip directory, before ``openpyxl``
  inflates anything (it holds the shared strings whole: 400 KB of upload
  could make a gigabyte of them);
- text that begins as a JSON array of objects or an NDJSON object is read
  back as the export of a list it is (``json_exports``): the lines of its
  ``phoneNumber`` values.

All are text streams read in blocks, so memory stays flat whatever the size.
"""

from __future__ import annotations

import codecs
import csv
import io
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import IO, Protocol

from stoplist.domain.errors import (
    OversizedWorkbook,
    OversizedZipDirectory,
    SheetsOnlyInWorkbooks,
    UnknownSheet,
    UnreadableWorkbook,
)
from stoplist.domain.json_exports import exported_list

XLSX_SIGNATURE = b"PK\x03\x04"
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_ROWS_PER_BLOCK = 4096

MAX_UNPACKED_BYTES = 1 << 30
"""All of a workbook's parts, uncompressed: as much as the largest text upload (1 GiB).

A million rows of one column unpack to 65 MB (numbers) to 85 MB (text);
five columns of a CRM export, a million rows, to 320 MB.
"""
MAX_PART_BYTES = 512 << 20
"""One part (a sheet), uncompressed: the five-column million rows above, and room to spare."""
MAX_SHARED_STRINGS_BYTES = 64 << 20
"""The shared strings, uncompressed: ``openpyxl`` holds them whole in memory, about six
times their size at worst (tiny strings). A million distinct numbers typed as text
make 30 MB of them."""
MAX_COMPRESSION_RATIO = 100
"""Uncompressed size over compressed size, for a part past ``_RATIO_FROM_BYTES``.

Real sheets compress 8 to 13 times (a million numbers: 65 MB in 7.7 MB); a part
that compresses a hundred times or more is repetition made to unpack, the bound
Apache POI refuses too. Small parts (styles, themes) may compress better.
"""
_RATIO_FROM_BYTES = 1 << 20
MAX_DIRECTORY_BYTES = 1 << 20
"""The zip directory: ``zipfile`` reads it whole and keeps an object of some 500 bytes per
entry, so 25 MB of empty entries would take 170 MB. A workbook's few dozen parts take a
few kilobytes; a megabyte is some 20,000 entries."""


class ImportText(Protocol):
    """A text stream of a file to import, with the bytes consumed so far."""

    consumed: int
    kind: str
    """How the file was read: ``utf-8``, ``utf-16-le``, ``windows-1252``, ``xlsx``, ``json``..."""

    def read(self, size: int = -1, /) -> str: ...

    def close(self) -> None: ...


def open_import(
    stream: IO[bytes], *, filename: str | None = None, sheet: str | None = None
) -> ImportText:
    """The text of ``stream`` (left open; ``close`` what this returns instead).

    Raises ``InvalidParameter`` for a workbook that cannot be read or lacks
    the named sheet, and for a sheet named for a file that is not a workbook.
    """
    head = stream.read(4)
    is_workbook = head == XLSX_SIGNATURE or (filename or "").lower().endswith(".xlsx")
    if is_workbook:
        return _WorkbookText(head, stream, sheet)
    if sheet:
        raise SheetsOnlyInWorkbooks()
    return exported_list(_DecodedText(head, stream))


class _DecodedText:
    def __init__(self, head: bytes, stream: IO[bytes]) -> None:
        self.stream = stream
        self.consumed = len(head)
        self._pending = head
        self.kind = "utf-8"
        for bom, encoding in _BOMS:
            if head.startswith(bom):
                self.kind = encoding
                self._pending = head[len(bom) :]
                break
        strict = "strict" if self.kind == "utf-8" else "replace"
        self._decoder = codecs.getincrementaldecoder(self.kind)(errors=strict)
        # A lone CR ends a line too, as in the CSV a Mac spreadsheet saves
        # ("CSV (Macintosh)"): without this a whole such file is one line.
        self._newlines = io.IncrementalNewlineDecoder(None, translate=True)
        self._unread = ""

    def read(self, size: int = -1, /) -> str:
        """Text of the next bytes; "" only at the end (a read may need more than one block)."""
        if self._unread:
            text, self._unread = self._unread, ""
            return text
        while True:
            data = self.stream.read(size)
            self.consumed += len(data)
            if self._pending:
                data, self._pending = self._pending + data, b""
            text = self._newlines.decode(self._decode(data, final=not data), final=not data)
            if text or not data:
                return text

    def _decode(self, data: bytes, final: bool) -> str:
        try:
            return self._decoder.decode(data, final=final)
        except UnicodeDecodeError:
            if self.kind != "utf-8":
                raise
            # Not UTF-8 after all: these bytes, and everything after them, are Windows-1252.
            buffered, _ = self._decoder.getstate()
            self.kind = "windows-1252"
            self._decoder = codecs.getincrementaldecoder("cp1252")(errors="replace")
            return self._decoder.decode(buffered + data, final=final)

    def unread(self, text: str) -> None:
        """Give ``text`` back, to be read first: what was read to tell what the file is."""
        self._unread = text + self._unread

    def close(self) -> None:
        return None


class _WorkbookText:
    """A sheet's rows as CSV lines, produced as they are read."""

    kind = "xlsx"

    def __init__(self, head: bytes, stream: IO[bytes], sheet: str | None) -> None:
        import openpyxl  # imported here: only workbooks need it

        self._file = _seekable(head, stream)
        self.consumed = 0
        try:
            check_unpacked_sizes(_parts(self._file))
            self._book = openpyxl.load_workbook(
                self._file, read_only=True, data_only=True, keep_links=False
            )
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
            self._file.close()
            raise UnreadableWorkbook(str(error)) from None
        except (OversizedWorkbook, OversizedZipDirectory):
            self._file.close()
            raise
        names = self._book.sheetnames
        if sheet and sheet not in names:
            self.close()
            raise UnknownSheet(sheet, tuple(names))
        self._rows = self._book[sheet or names[0]].iter_rows(values_only=True)
        self._buffer = ""

    def read(self, size: int = -1, /) -> str:
        if not self._buffer:
            self._buffer = self._next_block()
        if size < 0 or size >= len(self._buffer):
            text, self._buffer = self._buffer, ""
        else:
            text, self._buffer = self._buffer[:size], self._buffer[size:]
        return text

    def _next_block(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        for _ in range(_ROWS_PER_BLOCK):
            row = next(self._rows, None)
            if row is None:
                break
            writer.writerow([_cell_text(value) for value in _trimmed(row)])
        self.consumed = self._file.tell()
        return out.getvalue()

    def close(self) -> None:
        self._book.close()
        self._file.close()


def check_unpacked_sizes(parts: Iterable[zipfile.ZipInfo]) -> None:
    """Raise ``OversizedWorkbook`` for parts that would unpack past the bounds.

    The sizes are the zip directory's: ``zipfile`` never inflates a part past
    the size its entry gives (it stops there, and the part fails its CRC),
    so they bound what ``openpyxl`` can be made to read.
    """
    total = 0
    for part in parts:
        size = part.file_size
        total += size
        name = part.filename
        limit = (
            MAX_SHARED_STRINGS_BYTES
            if name.lower().endswith("sharedstrings.xml")
            else MAX_PART_BYTES
        )
        if size > limit:
            raise OversizedWorkbook(name, size, limit)
        if size > _RATIO_FROM_BYTES and size > MAX_COMPRESSION_RATIO * part.compress_size:
            ratio = size // max(part.compress_size, 1)
            raise OversizedWorkbook(name, size, MAX_COMPRESSION_RATIO, ratio=ratio)
        if total > MAX_UNPACKED_BYTES:
            raise OversizedWorkbook(None, total, MAX_UNPACKED_BYTES)


def _parts(file: IO[bytes]) -> list[zipfile.ZipInfo]:
    """The entries of the zip directory of ``file``, which is left at its start.

    ``OversizedZipDirectory`` when the directory is past ``MAX_DIRECTORY_BYTES``,
    before ``zipfile`` reads it.
    """
    try:
        with zipfile.ZipFile(_DirectoryBound(file)) as archive:
            return archive.infolist()
    finally:
        file.seek(0)


class _DirectoryBound:
    """``file`` for ``zipfile`` to open, refusing any one read past ``MAX_DIRECTORY_BYTES``.

    Opening a zip reads its end record, then its whole directory in one read of
    the size that record declares (``zipfile`` itself decides, zip64 or not), and
    nothing else; so bounding each read bounds the directory, as ``zipfile``
    sees it, without a second reading of the format.
    """

    def __init__(self, file: IO[bytes]) -> None:
        self._file = file
        self.seek, self.tell = file.seek, file.tell

    def read(self, size: int | None = -1, /) -> bytes:
        position = self._file.tell()
        end = self._file.seek(0, io.SEEK_END)
        self._file.seek(position)
        wanted = end - position if size is None or size < 0 else min(size, end - position)
        if wanted > MAX_DIRECTORY_BYTES:
            raise OversizedZipDirectory(wanted, MAX_DIRECTORY_BYTES)
        return self._file.read(wanted)


def _trimmed(row: tuple[object, ...]) -> Iterator[object]:
    end = len(row)
    while end and row[end - 1] is None:
        end -= 1
    return iter(row[:end])


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a phone number typed into a spreadsheet is stored as one
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def _seekable(head: bytes, stream: IO[bytes]) -> IO[bytes]:
    """The whole file as a seekable file of its own (a zip is read from its end)."""
    spool = tempfile.TemporaryFile()  # noqa: SIM115 (closed with the workbook)
    spool.write(head)
    shutil.copyfileobj(stream, spool, 1 << 20)
    spool.seek(0)
    return spool
