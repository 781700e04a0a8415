"""Schemathesis hooks for the fuzzing test: what a "phone" string looks like.

The document marks phone numbers with ``format: phone``, which no schema can
define (validity is the numbering plan's). Positive examples are real
French mobile numbers in every spelling the API accepts, so that a 400 for
one of them is a real failure; anything else the fuzzer sends is negative.
"""

from __future__ import annotations

import phonenumbers
import schemathesis
from hypothesis import strategies as st

_SPELLINGS = (
    "+336{}",
    "06{}",
    "0033 6{}",
    "336{}",
)


def _spell(digits: str, spelling: str, grouped: bool) -> str:
    if grouped:
        digits = " ".join(digits[i : i + 2] for i in range(0, 8, 2))
    return spelling.format(digits)


def _valid(digits: str) -> bool:
    return phonenumbers.is_valid_number(phonenumbers.parse(f"+336{digits}"))


phone_numbers = st.builds(
    _spell,
    st.integers(min_value=0, max_value=99_999_999).map("{:08d}".format).filter(_valid),
    st.sampled_from(_SPELLINGS),
    st.booleans(),
)

schemathesis.openapi.format("phone", phone_numbers)
