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

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from stoplist.domain import clock
from stoplist.domain.errors import ParameterRefused, ParameterRule

MAX_ID = 2**63 - 1
"""The largest id a 64-bit signed column holds (ids, ``after``)."""
MAX_SMALL_ID = 2**31 - 1
"""The largest id a 32-bit column holds (webhook endpoints)."""
EARLIEST = clock.to_us(datetime(1899, 12, 31, tzinfo=UTC))
LATEST = clock.to_us(datetime(3000, 1, 2, tzinfo=UTC))
"""Years 1900 to 2999 in any zone (a day either side for the zone's offset)."""
_MAX_DIGITS = len(str(MAX_ID))
_DAY = (
    r"(?:(?:19|2[0-9])[0-9]{2}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
    r"|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))"
    r"|(?:(?:19|2[0-9])(?:0[48]|[2468][048]|[13579][26])|2[048]00)-02-29)"
)
_TIME = r"(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,6})?)?"
_OFFSET = r"(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
DATE_PATTERN = rf"^\s*(?:{_DAY}(?:[T ]{_TIME}{_OFFSET}?)?)?\s*$"
"""The dates accepted, exactly (real days only; blank is absent); the OpenAPI document says so."""
_DATE = re.compile(DATE_PATTERN)


def digits_pattern(low: int, high: int) -> str:
    """A regular expression for the digit strings ``whole_number`` reads as ``low..high``.

    ``low`` is 0 or 1. Leading zeros and surrounding spaces are allowed, as
    they are when the value is read; the OpenAPI document uses this to say
    exactly which strings a JSON body may carry where an integer goes.
    """
    assert low in (0, 1) and high >= 1
    top = str(high)
    shorter = f"[1-9][0-9]{{0,{len(top) - 2}}}" if len(top) > 1 else ""
    same_length = [top]
    for position, digit in enumerate(top):
        smallest = 1 if position == 0 else 0
        if int(digit) > smallest:
            rest = len(top) - position - 1
            same_length.append(f"{top[:position]}[{smallest}-{int(digit) - 1}][0-9]{{{rest}}}")
    numbers = "|".join([*([shorter] if shorter else []), *same_length])
    zero = "0+|" if low == 0 else ""
    return rf"^[ \t\r\n]*(?:{zero}0*(?:{numbers}))[ \t\r\n]*$"


def present(value: object) -> bool:
    """Whether a parameter was sent with a value (an empty or blank one counts as absent)."""
    return value is not None and not (isinstance(value, str) and not value.strip())


def whole_number(value: object) -> int | None:
    """The non-negative integer ``value`` spells, or None if it spells none.

    Accepts a JSON integer (``5`` or ``5.0``) or ASCII digits with surrounding spaces; at most
    as many significant digits as ``MAX_ID`` has, so nothing huge is ever
    converted.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer() and 0 <= value <= MAX_ID:
        value = int(value)  # JSON has one number type: 5.0 is the integer 5
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
        raise ParameterRefused(ParameterRule.INTEGER_RANGE, name=name, low=low, high=high)
    return number


def instant(value: object, name: str, zone: ZoneInfo) -> int | None:
    """An optional date parameter, read in ``zone`` unless it carries an offset; code 91."""
    if not present(value):
        return None
    moment: int | None = None
    if isinstance(value, str) and _DATE.fullmatch(value):
        try:
            moment = clock.parse_local(value, zone)
        except (ValueError, OverflowError):  # 2025-02-30; a zone past year 9999
            moment = None
    if moment is None or not EARLIEST <= moment < LATEST:
        raise ParameterRefused(ParameterRule.DATE, name=name)
    return moment
