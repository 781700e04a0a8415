"""Reading the integers and dates that dashboard URLs carry.

Only ASCII digits are numbers here (``int("²")`` and ``int("١")`` would
otherwise crash or quietly read another value) and every value is bounded, so
a hand-edited URL gets a 400 page that says what is wrong, never a 500.
"""

from __future__ import annotations

import re
from datetime import date

MAX_ID = 2**63 - 1
"""Ids are 64-bit signed integers on PostgreSQL."""
MAX_PAGE = 1_000_000
FIRST_DAY = date(1970, 1, 1)
LAST_DAY = date(9998, 12, 31)
"""Local days are turned into instants a day later; beyond this they overflow."""
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class BadParameter(ValueError):
    """A parameter that is not what the page accepts; ``name`` says which."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def whole_number(name: str, value: object, *, low: int = 1, high: int = MAX_ID) -> int:
    """``value`` (a string of ASCII digits, or an int) if it lies in ``low..high``."""
    if isinstance(value, bool):
        raise BadParameter(name)
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip()
        if not (text.isascii() and text.isdigit()) or len(text) > len(str(high)):
            raise BadParameter(name)
        number = int(text)
    if not low <= number <= high:
        raise BadParameter(name)
    return number


def page_number(value: str | None) -> int:
    """A list page number; absent or empty means the first."""
    if value is None or not value.strip():
        return 1
    return whole_number("page", value, high=MAX_PAGE)


def day(name: str, value: str | None) -> date | None:
    """A ``YYYY-MM-DD`` day (what ``<input type=date>`` sends); absent or empty means none."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if not _ISO_DAY.fullmatch(text):
        raise BadParameter(name)
    try:
        parsed = date.fromisoformat(text)
    except ValueError:
        raise BadParameter(name) from None
    if not FIRST_DAY <= parsed <= LAST_DAY:
        raise BadParameter(name)
    return parsed


def path_ids(path_params: dict[str, object]) -> dict[str, object]:
    """The route's parameters with every ``*_id`` checked and read as an int."""
    return {
        name: whole_number(name, value) if name.endswith("_id") else value
        for name, value in path_params.items()
    }
