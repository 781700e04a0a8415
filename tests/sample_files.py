"""Files of numbers as people export them, made by the tests: each encoding and delimiter.

Every file holds the same people: four valid numbers (one an overseas mobile,
one written twice), one line that is not a number, so an import of any of
them gives the same counts.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

PEOPLE = [
    ("Anne Émile", "06 12 34 56 78", "anne@example.com"),
    ("Bob", "+33611111111", "bob@example.com"),
    ("Chloé", "0690845073", "chloe@example.com"),
    ("Dan", "hello", "dan@example.com"),
    ("Eve", "0033622222222", "eve@example.com"),
    ("Fay", "06.12.34.56.78", "fay@example.com"),
]
NUMBERS = sorted({"+33612345678", "+33611111111", "+590690845073", "+33622222222"})
COUNTS = {"added": 4, "alreadyStopped": 1, "invalid": 1, "optedIn": 0}
"""What importing any sample file into an empty list gives."""


@dataclass(frozen=True)
class Sample:
    name: str
    data: bytes
    column: str
    """The column the import reports reading."""
    lines: int


def _text(header: list[str] | None, delimiter: str, order: tuple[int, ...]) -> str:
    rows = [header] if header else []
    rows += [[person[i] for i in order] for person in PEOPLE]
    return "".join(delimiter.join(row) + "\r\n" for row in rows)


def samples() -> list[Sample]:
    """One file per encoding, delimiter, header language and container."""
    made: list[Sample] = []
    lines = len(PEOPLE) + 1
    made.append(
        Sample(
            "comma-utf8.csv",
            _text(["name", "mobile", "email"], ",", (0, 1, 2)).encode(),
            "mobile",
            lines,
        )
    )
    made.append(
        Sample(
            "semicolon-bom.csv",
            b"\xef\xbb\xbf" + _text(["Nom", "Téléphone", "Email"], ";", (0, 1, 2)).encode(),
            "Téléphone",
            lines,
        )
    )
    made.append(
        Sample(
            "tab-utf16le.txt",
            "\ufeff".encode("utf-16-le")
            + _text(["id", "msisdn"], "\t", (0, 1)).encode("utf-16-le"),
            "msisdn",
            lines,
        )
    )
    made.append(
        Sample(
            "pipe-utf16be.txt",
            "\ufeff".encode("utf-16-be")
            + _text(["Nombre", "Móvil", "Correo"], "|", (0, 1, 2)).encode("utf-16-be"),
            "Móvil",
            lines,
        )
    )
    made.append(
        Sample(
            "semicolon-cp1252.csv",
            _text(["Name", "Telefon", "E-Mail"], ";", (0, 1, 2)).encode("cp1252"),
            "Telefon",
            lines,
        )
    )
    made.append(Sample("no-header.csv", _text(None, ",", (2, 0, 1)).encode(), "3", len(PEOPLE)))
    made.append(Sample("people.xlsx", _workbook(), "Cellulare", lines + 1))
    return made


def _workbook() -> bytes:
    """A workbook whose first sheet is a decoy and whose numbers sheet is the second."""
    import openpyxl

    book = openpyxl.Workbook()
    decoy = book.active
    decoy.title = "Notes"
    decoy.append(["nothing to import here"])
    sheet = book.create_sheet("Contatti")
    sheet.append(["Nome", "Cellulare"])
    for name, number, _ in PEOPLE:
        # Spreadsheets keep typed digits as numbers, dropping the leading zero.
        value: object = int(number[1:]) if number.isdigit() and number[0] == "0" else number
        sheet.append([name, value])
    sheet.append([None, None])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


WORKBOOK_SHEET = "Contatti"


def shared_strings_bomb(entries: int) -> bytes:
    """A real workbook (one number) plus shared strings of ``entries`` one-letter strings.

    They compress about four hundred times: a few MB of them make a small
    file, ten million a 400 KB one that unpacks to 170 MB.
    """
    import zipfile

    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["phone"])
    book.active.append(["+33612345678"])
    plain = io.BytesIO()
    book.save(plain)
    source = zipfile.ZipFile(plain)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for name in source.namelist():
            data = source.read(name)
            if name == "[Content_Types].xml":
                data = data.replace(b"</Types>", _SHARED_STRINGS_TYPE + b"</Types>")
            elif name == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", _SHARED_STRINGS_LINK + b"</Relationships>")
            bomb.writestr(name, data)
        strings = b"<si><t>a</t></si>" * entries
        bomb.writestr("xl/sharedStrings.xml", _SST % (entries, entries) + strings + b"</sst>")
    return out.getvalue()


def many_parts_workbook(extra_parts: int) -> bytes:
    """A real workbook (one number) with ``extra_parts`` empty parts added to its zip."""
    import zipfile

    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["phone"])
    book.active.append(["+33612345678"])
    out = io.BytesIO()
    book.save(out)
    with zipfile.ZipFile(out, "a") as archive:
        for n in range(extra_parts):
            archive.writestr(f"customXml/item{n}.xml", b"")
    return out.getvalue()


_SST = (
    b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns='
    b'"http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">'
)
_SHARED_STRINGS_TYPE = (
    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
)
_SHARED_STRINGS_LINK = (
    b'<Relationship Id="rIdStrings" Target="sharedStrings.xml" Type="http://schemas.'
    b'openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/>'
)
