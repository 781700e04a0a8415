"""How phone numbers compare: every accepted spelling of a number becomes E.164.

``0612345678``, ``06 12 34 56 78``, ``+33612345678``, ``0033612345678`` and the
``33612345678`` that long-number webhooks send are one and the same number.
Numbers are parsed and validated against the numbering plan by ``phonenumbers``;
the account's default region decides what a national form means.

Some regions with calling codes of their own share one national numbering
plan: from anywhere in France, ``0690 84 50 73`` is a Guadeloupe mobile
(``+590690845073``) and ``0692 12 34 56`` one in Réunion. A national form that
is not valid in the account's region is therefore read in each region of its
plan in turn, and kept where it is valid. Regions that share a calling code
(the NANP countries, the United Kingdom with Guernsey, Jersey and the Isle of
Man, Réunion with Mayotte) need no such step: ``phonenumbers`` validates a
number against every region of its calling code already.

``phonenumbers`` describes metropolitan France coarsely: it also finds
``0596 33 50 92`` (a Martinique landline) and ``0263 ...`` (Réunion) valid as
``+33`` numbers. Where a national form is a landline or mobile of the same
kind both in the plan's main region and in exactly one of its other calling
codes, that other code's reading wins: its ranges are the ones allocated
there. Non-geographic numbers (``08``, ``09``) are the same everywhere in the
plan and keep the main region's reading. Numbers stored before this rule
under their ``+33`` reading were given their overseas number by migration
0014.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

import phonenumbers
from phonenumbers import (
    NumberParseException,
    PhoneNumberFormat,
    PhoneNumberType,
    ValidationResult,
)

from stoplist.domain.errors import InvalidPhoneNumber, PhoneNumberRequired, Reason

DEFAULT_REGION = "FR"

SHARED_NATIONAL_PLANS: dict[str, frozenset[str]] = {
    "FR": frozenset({"FR", "GP", "MQ", "GF", "RE", "YT", "BL", "MF", "PM"}),
}
"""Regions of different calling codes dialled alike with the same trunk prefix, by main region.

The main region is the one whose ``phonenumbers`` metadata overlaps the others' ranges.

``phonenumbers`` has no notion of this (its metadata is per calling code), so
the plans are listed here; the regions sharing each calling code come from its
metadata. The French plan is ARCEP's: metropolitan France and its overseas
departments and collectivities that use ten-digit ``0`` numbers (New
Caledonia, French Polynesia and Wallis-and-Futuna have plans of their own).
"""

SHARED_PLAN_DIGITS = 9
"""Digits of a number of the shared plan after its trunk ``0``. Only forms of that length
are read in the plan's other regions: Saint-Pierre-et-Miquelon's own six-digit numbers
would otherwise take any six digits typed on a French account (``75 12 35``)."""

_ALLOWED = re.compile(r"[0-9+\s().\-/]+")
SEPARATORS = re.compile(r"[\s().\-/]")
"""What may stand between a number's digits as people and providers write them."""
_MAX_INPUT_LENGTH = 64

_BY_VALIDATION = {
    ValidationResult.TOO_SHORT: Reason.TOO_SHORT,
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY: Reason.TOO_SHORT,
    ValidationResult.TOO_LONG: Reason.TOO_LONG,
    ValidationResult.INVALID_LENGTH: Reason.INVALID_LENGTH,
    ValidationResult.INVALID_COUNTRY_CODE: Reason.UNKNOWN_COUNTRY_CODE,
}
_BY_PARSE_ERROR = {
    NumberParseException.INVALID_COUNTRY_CODE: Reason.UNKNOWN_COUNTRY_CODE,
    NumberParseException.TOO_SHORT_AFTER_IDD: Reason.TOO_SHORT,
    NumberParseException.TOO_SHORT_NSN: Reason.TOO_SHORT,
    NumberParseException.TOO_LONG: Reason.TOO_LONG,
}


def normalize(raw: object, region: str = DEFAULT_REGION) -> str:
    """Return ``raw`` as an E.164 string, or raise why it is not a number.

    Letters are refused rather than read as a vanity keypad: a stop list must
    never match a number nobody typed. The error says why the number is not
    valid where the numbering plan tells (too short, too long, no such
    prefix); whether a number can receive SMS is never a reason, since a
    landline can be stopped too.
    """
    if raw is None:
        raise PhoneNumberRequired()
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise InvalidPhoneNumber(reason=Reason.NOT_A_NUMBER)
    text = str(raw).strip()
    if not text:
        raise PhoneNumberRequired()
    if text.lower().startswith("tel:"):
        text = text[4:]
    if len(text) > _MAX_INPUT_LENGTH:
        raise InvalidPhoneNumber(reason=Reason.TOO_LONG)
    if not _ALLOWED.fullmatch(text):
        raise InvalidPhoneNumber(reason=Reason.NOT_A_NUMBER)
    return _normalize_cached(SEPARATORS.sub("", text), region.upper())


def normalize_sender(raw: object, region: str = DEFAULT_REGION) -> str:
    """``normalize`` for the sender of an inbound SMS.

    Gateways often give senders as international numbers without their ``+``
    (``4915112345678``). Read nationally first, a number of the account's
    own country is then a valid but different one where national numbers
    vary in length: on a German account, ``+494915112345678``, and the
    person's STOP would stop a stranger. Where the region writes national
    numbers with a trunk prefix (``0`` in most of Europe), digits that do
    not start with it but with the region's own calling code, followed by a
    valid number of the region, are read as that number. Anything else is
    read as ``normalize`` reads it: a national number that lost its ``0``
    (``612345678``, ``15112345678``) stays national, never a foreign number
    that happens to share its digits.
    """
    if isinstance(raw, str):
        text = raw.strip()
        compact = SEPARATORS.sub("", text[4:] if text.lower().startswith("tel:") else text)
        own = _own_code_prefix(region.upper())
        if own and compact.isascii() and compact.isdigit() and compact.startswith(own):
            try:
                number = normalize("+" + compact, region)
            except InvalidPhoneNumber:
                pass
            else:
                if number.startswith("+" + own):
                    return number
    return normalize(raw, region)


@cache
def _own_code_prefix(region: str) -> str | None:
    """The calling code plus-less senders of ``region`` start with, where national
    forms start with a trunk prefix instead (never in the NANP, whose ``1`` is both)."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    code = phonenumbers.country_code_for_region(region)
    if metadata is None or not metadata.national_prefix or code in (0, _NANP_CODE):
        return None
    return str(code)


_NANP_CODE = 1


def region_is_known(region: str) -> bool:
    return region.upper() in phonenumbers.SUPPORTED_REGIONS


@cache
def plan_regions(region: str) -> tuple[str, ...]:
    """The regions, one per other calling code, that share ``region``'s national plan."""
    own = phonenumbers.country_code_for_region(region)
    found: dict[int, str] = {}
    for plan in SHARED_NATIONAL_PLANS.values():
        if region not in plan:
            continue
        for other in sorted(plan):
            code = phonenumbers.country_code_for_region(other)
            if code != own and code not in found:
                found[code] = phonenumbers.region_code_for_country_code(code)
    return tuple(found.values())


@lru_cache(maxsize=65536)
def _normalize_cached(compact: str, region: str) -> str:
    if compact.count("+") > 1 or "+" in compact[1:] or not compact.strip("+"):
        raise InvalidPhoneNumber(reason=Reason.NOT_A_NUMBER)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    national = _parse(compact, region)
    readings = [national] if national is not None and phonenumbers.is_valid_number(national) else []
    if not compact.startswith("+") and len(compact.removeprefix("0")) == SHARED_PLAN_DIGITS:
        readings += _plan_readings(compact, region, lines_only=bool(readings))
    if readings:
        return _e164(_in_plan(readings, region))
    if not compact.startswith(("+", "0")):
        # International form without its plus, as long-number webhooks send it.
        parsed = _parse("+" + compact, region)
        if parsed is not None and phonenumbers.is_valid_number(parsed):
            return _e164(parsed)
    raise InvalidPhoneNumber(reason=_reason(compact, region, national))


_LINE_TYPES = frozenset(
    {PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}
)


@cache
def _plan_ranges(region: str, *, lines_only: bool) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """Each other calling code of ``region``'s plan: a region to parse in, and its numbers' shape.

    The shape (the union of the code's regions' patterns: all of them, or
    only those of landlines and mobiles) is matched before parsing, so an
    ordinary metropolitan number costs a few regular expressions rather than
    a parse per overseas code.
    """
    ranges = []
    for other in plan_regions(region):
        code = phonenumbers.country_code_for_region(other)
        patterns = []
        for name in phonenumbers.region_codes_for_country_code(code):
            metadata = phonenumbers.PhoneMetadata.metadata_for_region(name)
            if metadata is None:
                continue
            kinds = (
                (metadata.fixed_line, metadata.mobile) if lines_only else (metadata.general_desc,)
            )
            patterns += [kind.national_number_pattern for kind in kinds if kind is not None]
        shape = "|".join(f"(?:{pattern})" for pattern in patterns if pattern)
        if shape:
            ranges.append((other, re.compile(shape)))
    return tuple(ranges)


def _plan_readings(
    compact: str, region: str, *, lines_only: bool
) -> list[phonenumbers.PhoneNumber]:
    """The valid readings of a national form in the other calling codes of ``region``'s plan.

    With ``lines_only``, only landline and mobile ranges are tried: all that can
    shadow a reading already valid in ``region`` (see ``_in_plan``).
    """
    digits = compact.removeprefix("0")
    found = []
    for other, shape in _plan_ranges(region, lines_only=lines_only):
        if shape.fullmatch(digits):
            reading = _parse(compact, other)
            if reading is not None and phonenumbers.is_valid_number(reading):
                found.append(reading)
    return found


@cache
def _main_code(region: str) -> int | None:
    """The calling code of the main region of ``region``'s shared plan, if it has one."""
    for main, plan in SHARED_NATIONAL_PLANS.items():
        if region in plan:
            return phonenumbers.country_code_for_region(main)
    return None


def _in_plan(readings: list[phonenumbers.PhoneNumber], region: str) -> phonenumbers.PhoneNumber:
    """The reading a national form means: the first valid one, unless the main region's
    landline or mobile reading is shadowed by one of the same kind in a single other code."""
    if len(readings) == 1:
        return readings[0]
    main = _main_code(region)
    in_main = next((r for r in readings if r.country_code == main), None)
    elsewhere = [r for r in readings if r.country_code != main]
    if in_main is None or not elsewhere:
        return readings[0]
    kind = phonenumbers.number_type(in_main)
    if kind in _LINE_TYPES:
        same_kind = [r for r in elsewhere if phonenumbers.number_type(r) == kind]
        if same_kind and len({r.country_code for r in same_kind}) == 1:
            return same_kind[0]
    return readings[0]


def _reason(compact: str, region: str, parsed: phonenumbers.PhoneNumber | None) -> Reason:
    """Why ``compact`` is not a valid number, as the numbering plan tells."""
    if parsed is None:
        try:
            phonenumbers.parse(compact, region)
        except NumberParseException as error:
            return _BY_PARSE_ERROR.get(error.error_type, Reason.NOT_A_NUMBER)
        return Reason.NOT_A_NUMBER
    result = phonenumbers.is_possible_number_with_reason(parsed)
    return _BY_VALIDATION.get(result, Reason.UNKNOWN_PREFIX)


def _e164(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def _parse(candidate: str, region: str) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(candidate, region)
    except NumberParseException:
        return None
