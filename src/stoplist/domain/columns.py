"""Which cell of a line is the phone number: delimiters, headers and columns.

Exports from CRMs and spreadsheets have several columns (``name,mobile``,
``Nom;Téléphone;Email``, ``id<TAB>msisdn``). The first lines of a file decide,
once, how every line is read: the delimiter is the one that splits them
alike; a first line naming a phone column (in any of the languages the
product speaks) or holding no number at all is a header; without a header,
the column is the one where most values are valid numbers. The user may name
the column instead, by header or by position.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from stoplist.domain.errors import ColumnNotInFile, ColumnOutOfRange, UnknownColumn
from stoplist.domain.parameters import whole_number

DELIMITERS = (",", ";", "\t", "|")
SAMPLE_LINES = 50
MAX_COLUMNS = 16_384
"""The widest sheet a spreadsheet makes (Excel's last column is XFD)."""
"""Non-blank lines read before deciding (the header and the data after it)."""

PHONE_WORDS = frozenset(
    {
        # English, French, Spanish, German, Italian, Portuguese, Dutch.
        "phone", "phones", "phonenumber", "mobile", "mobilephone", "mobilenumber", "cell",
        "cellphone", "cellular", "tel", "tele", "telephone", "telephones", "msisdn", "gsm",
        "portable", "mobil", "movil", "celular", "handy", "handynummer", "telefon",
        "telefonnummer", "mobilnummer", "rufnummer", "cellulare", "telefono", "telemovel",
        "telemoveis", "telefoon", "telefoonnummer", "mobiel", "mobielnummer", "tlf", "tfno",
        "fone",
    }
)  # fmt: skip
"""Header words that name a phone column, accents, case and punctuation dropped."""

NUMBER_WORDS = frozenset({"number", "numero", "num", "nummer"})
"""Weaker words: a phone column when no header cell has a phone word."""

MOBILE_WORDS = frozenset(
    {
        "mobile", "mobilephone", "mobilenumber", "cell", "cellphone", "cellular", "msisdn",
        "gsm", "portable", "mobil", "movil", "celular", "handy", "handynummer", "mobilnummer",
        "cellulare", "telemovel", "telemoveis", "mobiel", "mobielnummer", "sms",
    }
)  # fmt: skip
"""Phone words that name a mobile column: what an SMS opt-out list is about."""

_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True, slots=True)
class Layout:
    """How the lines of one file are read."""

    delimiter: str | None
    column: int | None
    """0-based; None when no column holds numbers."""
    header: tuple[str, ...] | None
    """The header's cells, when the first line is one (it is never data)."""
    width: int

    def column_names(self) -> tuple[str, ...]:
        """Each column's header, or its position from 1 when it has none."""
        return _names(self.header, self.width)

    def column_name(self) -> str | None:
        return None if self.column is None else self.column_names()[self.column]


@dataclass(frozen=True, slots=True)
class KnownColumn:
    """The one column of a file whose format names it, so nothing is detected.

    The product's own JSON and NDJSON exports are read as such (``json_exports``):
    each line is the whole cell, with no delimiter to find and no header to
    skip; a blank line is a blank line of the file, and an empty cell comes
    as ``""`` so that it is reported, as an empty cell of a CSV is.
    """

    name: str

    def check_choice(self, choice: str | None) -> None:
        """Check the column a user named: this one only (``InvalidParameter`` otherwise)."""
        if choice is None:
            return
        chosen = chosen_column(choice, (self.name,))
        if chosen != 0:
            raise ColumnNotInFile(chosen + 1, (self.name,))


def split(line: str, delimiter: str | None) -> list[str]:
    """The cells of one line (quotes removed, as the csv module reads them)."""
    if delimiter is None:
        return [line.strip('"').strip()]
    try:
        return next(csv.reader([line], delimiter=delimiter), [""])
    except csv.Error:  # a lone carriage return outside quotes: cells split plainly
        return [cell.strip('"') for cell in line.split(delimiter)]


def words(header: str) -> list[str]:
    """A header's words without accents, case or punctuation (``Téléphone`` -> telephone)."""
    decomposed = unicodedata.normalize("NFKD", header.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _WORD.findall(plain.replace("ß", "ss"))


def detect_delimiter(lines: Sequence[str]) -> str | None:
    """The delimiter that splits ``lines`` into the same number of cells most often."""
    best: tuple[int, int] = (0, 0)
    chosen: str | None = None
    for delimiter in DELIMITERS:
        if not any(delimiter in line for line in lines):
            continue
        counts = [len(split(line, delimiter)) for line in lines]
        usual = max(set(counts), key=lambda width: (counts.count(width), width))
        if usual < 2:
            continue
        score = (counts.count(usual), usual)
        if score > best:
            best, chosen = score, delimiter
    return chosen


def phone_columns(header: Sequence[str]) -> list[int]:
    """The header cells naming a phone column: those with a phone word, else a number word."""
    for wanted in (PHONE_WORDS, NUMBER_WORDS):
        found = [index for index, cell in enumerate(header) if _names_one_of(cell, wanted)]
        if found:
            return found
    return []


def _names_one_of(cell: str, wanted: frozenset[str]) -> bool:
    found = words(cell)
    return "".join(found) in wanted or any(word in wanted for word in found)


def chosen_column(choice: str, header: Sequence[str] | None) -> int:
    """The column the user named: a header (as ``words`` reads it) or a position from 1."""
    text = choice.strip()
    if text.isascii() and text.isdigit():
        position = whole_number(text)
        if position is None or not 1 <= position <= MAX_COLUMNS:
            raise ColumnOutOfRange(MAX_COLUMNS)
        return position - 1
    wanted = words(text)
    for index, cell in enumerate(header or ()):
        if wanted and words(cell) == wanted:
            return index
    raise UnknownColumn(text, tuple(header or ()))


def detect_layout(
    lines: Sequence[str], is_number: Callable[[str], bool], choice: str | None = None
) -> Layout:
    """Decide how to read a file from its first non-blank ``lines``.

    ``is_number`` says whether a cell is a valid number; ``choice`` is the
    column the user named, if any.
    """
    delimiter = detect_delimiter(lines)
    rows = [split(line, delimiter) for line in lines]
    width = max((len(row) for row in rows), default=1)
    first = rows[0] if rows else []
    named = None
    if not any(is_number(cell.strip()) for cell in first):
        named = _best_named(first, phone_columns(first), rows[1:], is_number)
    header: tuple[str, ...] | None = None
    by_name = choice is not None and not choice.strip().isdigit()
    if by_name or named is not None or (first and named is None and _has_letters(first, is_number)):
        header = tuple(cell.strip() for cell in first)
    if choice is not None:
        column: int | None = chosen_column(choice, header)
        if rows and column is not None and column >= width:
            raise ColumnNotInFile(column + 1, _names(header, width))
    elif named is not None:
        column = named
    elif width == 1:
        column = 0
    else:
        column = _most_numbers(rows[1:] if header else rows, width, is_number)
    return Layout(delimiter, column, header, width)


def _best_named(
    header: Sequence[str],
    candidates: Sequence[int],
    rows: Sequence[Sequence[str]],
    is_number: Callable[[str], bool],
) -> int | None:
    """Of several columns a header names for phones, the one to read.

    A CRM export often has two (``Téléphone fixe;Téléphone portable``): the
    one with the most valid numbers in the first lines, and between equals
    the one named for mobiles (STOPs come from mobiles), then the first.
    """
    if len(candidates) < 2:
        return candidates[0] if candidates else None

    def score(index: int) -> tuple[int, bool, int]:
        valid = sum(1 for row in rows if index < len(row) and is_number(row[index].strip()))
        return valid, _names_one_of(header[index], MOBILE_WORDS), -index

    return max(candidates, key=score)


def _names(header: Sequence[str] | None, width: int) -> tuple[str, ...]:
    names = list(header or ())
    names += [str(index + 1) for index in range(len(names), width)]
    return tuple(name or str(index + 1) for index, name in enumerate(names))


def _has_letters(cells: Sequence[str], is_number: Callable[[str], bool]) -> bool:
    """A first line of words and no number: a header that names no phone column."""
    if any(is_number(cell.strip()) for cell in cells):
        return False
    return any(character.isalpha() for cell in cells for character in cell)


def _most_numbers(
    rows: Sequence[Sequence[str]], width: int, is_number: Callable[[str], bool]
) -> int | None:
    counts = [0] * width
    for row in rows:
        for index, cell in enumerate(row):
            if is_number(cell.strip()):
                counts[index] += 1
    best = max(counts)
    return counts.index(best) if best else None
