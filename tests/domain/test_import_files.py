"""One reader for every file people import: encodings, byte order marks, workbooks."""

from __future__ import annotations

import io
import zipfile

import pytest

from stoplist import wording
from stoplist.domain.errors import InvalidParameter, OversizedWorkbook, OversizedZipDirectory
from stoplist.domain.import_files import (
    MAX_DIRECTORY_BYTES,
    MAX_PART_BYTES,
    MAX_SHARED_STRINGS_BYTES,
    MAX_UNPACKED_BYTES,
    check_unpacked_sizes,
    open_import,
)
from tests.sample_files import WORKBOOK_SHEET, many_parts_workbook, samples, shared_strings_bomb


def _read_all(data: bytes, size: int = 7, **options: str | None) -> tuple[str, str]:
    """Everything read, ``size`` at a time (small reads cut multi-byte characters)."""
    text = open_import(io.BytesIO(data), **options)  # type: ignore[arg-type]
    try:
        chunks: list[str] = []
        while chunk := text.read(size):
            chunks.append(chunk)
        return "".join(chunks), text.kind
    finally:
        text.close()


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        ("Téléphone\n06 12\n".encode(), "utf-8"),
        (b"\xef\xbb\xbf" + "Téléphone\n06 12\n".encode(), "utf-8"),
        (b"\xff\xfe" + "Téléphone\n06 12\n".encode("utf-16-le"), "utf-16-le"),
        (b"\xfe\xff" + "Téléphone\n06 12\n".encode("utf-16-be"), "utf-16-be"),
        ("Téléphone\n06 12\n".encode("cp1252"), "windows-1252"),
    ],
)
def test_each_encoding_reads_the_same_text(data, kind):
    assert _read_all(data) == ("Téléphone\n06 12\n", kind)


@pytest.mark.parametrize("size", [1, 7, 1 << 16])
def test_every_line_end_reads_as_one(size):
    """A lone CR ends lines in the CSV a Mac spreadsheet saves; CR LF and LF elsewhere.
    Read a byte at a time, a CR LF split between two reads is still one line end."""
    data = "Téléphone\r06 12\r\n06 13\n\r06 14\r".encode("cp1252")
    assert _read_all(data, size) == ("Téléphone\n06 12\n06 13\n\n06 14\n", "windows-1252")


def test_bytes_that_are_not_utf8_after_a_long_ascii_start_switch_to_windows_1252():
    data = b"0612345678\n" * 200_000 + "Zoé;0611111111\n".encode("cp1252")
    text, kind = _read_all(data, size=1 << 16)
    assert kind == "windows-1252"
    assert text.endswith("Zoé;0611111111\n") and text.count("\n") == 200_001


def test_a_workbook_sheet_becomes_csv_lines():
    workbook = next(sample for sample in samples() if sample.name.endswith(".xlsx"))
    text, kind = _read_all(workbook.data, sheet=WORKBOOK_SHEET)
    assert kind == "xlsx"
    assert text.splitlines()[:4] == [
        "Nome,Cellulare",
        "Anne Émile,06 12 34 56 78",
        "Bob,+33611111111",
        "Chloé,690845073",  # stored as a number: no ".0"
    ]
    first, _ = _read_all(workbook.data)
    assert first == "nothing to import here\n"


def test_workbook_errors_are_parameters():
    workbook = next(sample for sample in samples() if sample.name.endswith(".xlsx"))
    with pytest.raises(InvalidParameter, match="no sheet named 'Missing'; sheets are: Notes"):
        open_import(io.BytesIO(workbook.data), sheet="Missing")
    with pytest.raises(InvalidParameter, match=r"not a readable \.xlsx"):
        open_import(io.BytesIO(b"name,phone\n"), filename="list.xlsx")
    with pytest.raises(InvalidParameter, match="only a workbook"):
        open_import(io.BytesIO(b"name,phone\n"), sheet="Sheet1")


def test_a_workbook_that_unpacks_to_far_more_than_it_holds_is_refused_unread():
    """Shared strings that compress hundreds of times (openpyxl would hold them whole)."""
    bomb = shared_strings_bomb(200_000)
    assert len(bomb) < 100_000
    with pytest.raises(OversizedWorkbook) as raised:
        open_import(io.BytesIO(bomb), filename="contacts.xlsx")
    assert raised.value.part == "xl/sharedStrings.xml" and raised.value.ratio > 100
    assert wording.parameter_detail(raised.value, "en").startswith(
        "file: the workbook is too large once unpacked: xl/sharedStrings.xml unpacks to "
    )
    small, _ = _read_all(shared_strings_bomb(100), sheet=None)
    assert small == "phone\n+33612345678\n"  # the same workbook, its strings few


def test_a_workbook_of_too_many_parts_is_refused_before_its_directory_is_read():
    """zipfile would hold an object per entry: 25 MB of empty ones took 170 MB."""
    crowded = many_parts_workbook(40_000)
    with pytest.raises(OversizedZipDirectory) as raised:
        open_import(io.BytesIO(crowded), filename="contacts.xlsx")
    assert raised.value.size > raised.value.limit == MAX_DIRECTORY_BYTES
    assert wording.parameter_detail(raised.value, "en") == (
        "file: the workbook has too many parts: its zip directory is "
        f"{-(-raised.value.size // 1024)} KiB (at most 1024 KiB)"
    )
    text, _ = _read_all(many_parts_workbook(1_000), sheet=None)
    assert text == "phone\n+33612345678\n"


def _part(name: str, size: int, compressed: int) -> zipfile.ZipInfo:
    part = zipfile.ZipInfo(name)
    part.file_size, part.compress_size = size, compressed
    return part


def test_the_bounds_let_a_million_rows_through_and_nothing_much_larger():
    million_numbers = [_part("xl/worksheets/sheet1.xml", 64_778_233, 7_688_519)]
    five_columns = [_part("xl/worksheets/sheet1.xml", 318_111_597, 25_690_930)]
    as_text = [
        _part("xl/sharedStrings.xml", 30_000_000, 6_000_000),
        _part("xl/worksheets/sheet1.xml", 82_778_233, 7_773_549),
    ]
    for parts in (million_numbers, five_columns, as_text):
        check_unpacked_sizes(parts)
    too_large = [
        [_part("xl/sharedStrings.xml", MAX_SHARED_STRINGS_BYTES + 1, MAX_SHARED_STRINGS_BYTES)],
        [_part("xl/worksheets/sheet1.xml", MAX_PART_BYTES + 1, MAX_PART_BYTES)],
        [_part(f"xl/worksheets/sheet{n}.xml", MAX_PART_BYTES, MAX_PART_BYTES) for n in (1, 2, 3)],
    ]
    for parts in too_large:
        with pytest.raises(OversizedWorkbook):
            check_unpacked_sizes(parts)
    with pytest.raises(OversizedWorkbook) as raised:
        check_unpacked_sizes(too_large[2])
    assert (raised.value.part, raised.value.limit) == (None, MAX_UNPACKED_BYTES)
