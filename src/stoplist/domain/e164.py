"""What E.164 text looks like: ``+`` then 7 to 15 ASCII digits, the first not 0.

This is the shape only, not validity (``numbers.normalize`` decides that). It
is written once here and every other reading of the shape (the batch test of
``number_arrays``, the whole-file expressions of ``canonical``) is built from
these bounds, so that they cannot drift apart.
"""

from __future__ import annotations

MIN_DIGITS = 7
MAX_DIGITS = 15
"""Digits after the ``+``; 15 digits always fit a signed 64-bit integer."""

MIN_LENGTH = MIN_DIGITS + 1
MAX_LENGTH = MAX_DIGITS + 1
"""The length of the text, ``+`` included."""


def is_e164_shaped(text: str) -> bool:
    """Whether ``text`` is spelled as E.164 (string methods beat a regex here)."""
    return (
        MIN_LENGTH <= len(text) <= MAX_LENGTH
        and text[0] == "+"
        and text.isascii()
        and text[1:].isdigit()
        and text[1] != "0"
    )
