"""How phone numbers compare: every accepted spelling of a number becomes E.164.

``0612345678``, ``06 12 34 56 78``, ``+33612345678``, ``0033612345678`` and the
``33612345678`` that long-number webhooks send are one and the same number.
Numbers are parsed and validated against the numbering plan by ``phonenumbers``;
the account's default region decides what a national form means.
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers

from stoplist.domain.errors import InvalidPhoneNumber, PhoneNumberRequired

DEFAULT_REGION = "FR"

_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
_ALLOWED = re.compile(r"[0-9+\s().\-/]+")
_SEPARATORS = re.compile(r"[\s().\-/]")
_MAX_INPUT_LENGTH = 64


def normalize(raw: object, region: str = DEFAULT_REGION) -> str:
    """Return ``raw`` as an E.164 string, or raise why it is not a number.

    Letters are refused rather than read as a vanity keypad: a stop list must
    never match a number nobody typed.
    """
    if raw is None:
        raise PhoneNumberRequired()
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise InvalidPhoneNumber()
    text = str(raw).strip()
    if not text:
        raise PhoneNumberRequired()
    if text.lower().startswith("tel:"):
        text = text[4:]
    if len(text) > _MAX_INPUT_LENGTH or not _ALLOWED.fullmatch(text):
        raise InvalidPhoneNumber()
    return _normalize_cached(_SEPARATORS.sub("", text), region.upper())


def is_e164(text: str) -> bool:
    """True when ``text`` is already spelled as E.164 (not a validity check)."""
    return _E164.fullmatch(text) is not None


def region_is_known(region: str) -> bool:
    return region.upper() in phonenumbers.SUPPORTED_REGIONS


@lru_cache(maxsize=65536)
def _normalize_cached(compact: str, region: str) -> str:
    if compact.count("+") > 1 or "+" in compact[1:]:
        raise InvalidPhoneNumber()
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    candidates = [compact]
    if not compact.startswith(("+", "0")):
        # International form without its plus, as long-number webhooks send it.
        candidates.append("+" + compact)
    for candidate in candidates:
        parsed = _parse(candidate, region)
        if parsed is not None and phonenumbers.is_valid_number(parsed):
            return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    raise InvalidPhoneNumber()


def _parse(candidate: str, region: str) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(candidate, region)
    except phonenumbers.NumberParseException:
        return None
