"""One reader for every file people import: encodings, byte order marks, workbooks."""

from __future__ import annotations

import io

import pytest

from stoplist.domain.errors import InvalidParameter
from stoplist.domain.import_files import open_import
from tests.sample_files import WORKBOOK_SHEET, samples


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
