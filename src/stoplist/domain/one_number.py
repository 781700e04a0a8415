"""The one number a call is about, from every value sent for it.

Calls that take one number (``add``, ``check``, ``history``, ...) read it
under ``phoneNumber`` or its alias ``phoneNumbers``, and a client may send
both, a list, or a name repeated. Several numbers are refused rather than
one of them answered, since the client would take the answer for all. The
same number spelled twice is not several: ``0612345678`` under one name and
``+33612345678`` under the other are one number, as the list stores it.
"""

from __future__ import annotations

from collections.abc import Iterable

from stoplist.domain.errors import InvalidPhoneNumber, PhoneNumberRequired, Reason
from stoplist.domain.numbers import normalize


def one_number(values: Iterable[object], region: str) -> object:
    """The number ``values`` all spell, as first sent (None when nothing was).

    A list among ``values`` counts as its items. Values that differ are one
    number when each is valid in ``region`` (the account's) and all have the
    same E.164 form; otherwise they are refused with ``several_numbers``, as
    they always were, even when one of them is not a number at all: which
    one the client meant cannot be told.
    """
    spellings = [item for value in values for item in _items(value)]
    if not spellings:
        return None
    first = spellings[0]
    if all(spelling == first for spelling in spellings[1:]) or _one_e164(spellings, region):
        return first
    raise InvalidPhoneNumber(reason=Reason.SEVERAL_NUMBERS)


def _items(value: object) -> list[object]:
    return value if isinstance(value, list) else [value]


def _one_e164(spellings: list[object], region: str) -> bool:
    """Whether every spelling is a valid number and all are the same one (read up to the
    first that is not: a body may hold thousands)."""
    try:
        number = normalize(spellings[0], region)
        return all(normalize(spelling, region) == number for spelling in spellings[1:])
    except (InvalidPhoneNumber, PhoneNumberRequired):
        return False
