"""Masking secrets and phone numbers in text bound for a log.

Access lines carry URLs, and exceptions carry whatever their authors put in
them (a driver's ``DETAIL: Key (phone_number)=(+336...)``, a parser's
``invalid literal: '0612345678'``). Everything written to the log goes
through ``scrub`` last, so a number that slipped into a message still does
not reach the file.
"""

from __future__ import annotations

import re

REDACTED = "[redacted]"
NUMBER_MASK = "****"

_KEYS = re.compile(r"\b(sl_|whsec_)[A-Za-z0-9_\-+/=]{6,}")
_INBOUND_TOKEN = re.compile(r"(/inbound/)[^/\s?#\"']+")
_NUMBERS = re.compile(
    r"\+\d[\d .\-()]{6,}\d"  # international, in any spelling
    r"|(?<![\w.])0\d(?:[ .]\d{2}){4}(?![\w.])"  # French national, spaced or dotted
    r"|(?<![\d])\d{8,15}(?![\d])"  # bare digits
)

_SUSPECT = re.compile(r"\d{8}|\+\d|sl_|whsec_|/inbound/|\d\d[ .]\d\d[ .]\d\d")
"""Anything any of the patterns above could match starts like one of these."""


def mask_number(value: str) -> str:
    """``+33612345678`` -> ``+336****5678``: enough to tell numbers apart, not to dial one."""
    compact = re.sub(r"[\s.\-()]", "", value)
    if len(compact) < 8:
        return NUMBER_MASK
    head = 4 if compact.startswith("+") else 2
    tail = 4 if len(compact) >= 12 else 2
    return compact[:head] + NUMBER_MASK + compact[-tail:]


def scrub(text: str) -> str:
    """``text`` with API keys, webhook secrets, inbound tokens and phone numbers masked."""
    if not _SUSPECT.search(text):
        return text  # most lines: one scan instead of three
    text = _KEYS.sub(lambda match: match.group(1) + REDACTED, text)
    text = _INBOUND_TOKEN.sub(rf"\1{REDACTED}", text)
    return _NUMBERS.sub(lambda match: mask_number(match.group(0)), text)
