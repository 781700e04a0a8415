"""Reading integer and date parameters: the one place every endpoint does it.

Values arrive as query-string text, JSON numbers or form fields, from
clients that may send anything. Python's own readers are too generous for
that: ``int()`` takes ``"١"`` (an Arabic-Indic one), ``"²"`` passes
``str.isdigit()``, a 5,000-digit string raises instead of answering, and
dates near year 9999 overflow as soon as a zone is applied. Here an integer
is ASCII digits only (or a JSON integer, never a boolean or a float) within
the column's range, and a date is ISO 8601 within years 1900 to 2999.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from stoplist.domain import clock
from stoplist.domain.errors import InvalidParameter

MAX_ID = 2**63 - 1
"""The largest id a 64-bit signed column holds (ids, ``after``)."""
EARLIEST = clock.to_us(datetime(1899, 12, 31, tzinfo=UTC))
LATEST = clock.to_us(datetime(3000, 1, 2, tzinfo=UTC))
"""Years 1900 to 2999 in any zone (a day either side for the zone's offset)."""
_MAX_DIGITS = len(str(MAX_ID))
_DATE_FORMS = "YYYY-MM-DD, YYYY-MM-DD HH:MM:SS or ISO 8601 with an offset, years 1900 to 2999"


def present(value: object) -> bool:
    """Whether a parameter was sent with a value (an empty or blank one counts as absent)."""
    return value is not None and not (isinstance(value, str) and not value.strip())


def whole_number(value: object) -> int | None:
    """The non-negative integer ``value`` spells, or None if it spells none.

    Accepts a JSON integer or ASCII digits with surrounding spaces; at most
    as many significant digits as ``MAX_ID`` has, so nothing huge is ever
    converted.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if not isinstance(value, str):
        return None
    text = value.strip(" \t\r\n")
    if not text or not text.isascii() or not text.isdigit():
        return None
    significant = text.lstrip("0") or "0"
    if len(significant) > _MAX_DIGITS:
        return None
    return int(significant)


def integer(value: object, name: str, low: int, high: int) -> int | None:
    """An optional integer parameter in ``low..high``; code 91 otherwise."""
    if not present(value):
        return None
    number = whole_number(value)
    if number is None or not low <= number <= high:
        raise InvalidParameter(f"{name} must be an integer from {low} to {high}")
    return number


def instant(value: object, name: str, zone: ZoneInfo) -> int | None:
    """An optional date parameter, read in ``zone`` unless it carries an offset; code 91."""
    if not present(value):
        return None
    moment: int | None = None
    if isinstance(value, str) and value.isascii():
        try:
            moment = clock.parse_local(value, zone)
        except (ValueError, OverflowError):
            moment = None
    if moment is None or not EARLIEST <= moment < LATEST:
        raise InvalidParameter(f"{name} must be {_DATE_FORMS}")
    return moment
