"""A fast, sound test of "this text is already the E.164 form ``normalize`` gives".

Bulk paths (filtering and importing hundreds of thousands of numbers) cannot
afford ``phonenumbers.parse`` for each one, yet most inputs are already E.164.
``is_canonical`` answers from the same numbering-plan metadata, precompiled per
country code, in about a microsecond. It is sound in one direction only: when
it says True, ``normalize(text) == text`` holds; when it says False the caller
must fall back to ``normalize``, which decides. So it never changes an answer,
it only skips work.

What it skips, and why that is safe for an input ``+<cc><nsn>``:
- parsing: the country code is the unique calling code that prefixes the
  digits (calling codes are prefix-free), and the national significant number
  is the rest, leading zeros included;
- national-prefix stripping: ``parse`` may strip a trunk prefix from an
  international number (``+330612345678`` becomes ``+33612345678``); whenever
  the main region's prefix pattern matches the start of ``nsn`` we give up
  and let ``normalize`` decide;
- validation: the number must match the general description and one of the
  type descriptions of the region ``phonenumbers`` would pick, exactly as
  ``phonenumbers.is_valid_number`` does.

For whole files ``number_regex`` writes the same test as one regular
expression per calling code, so that a block of lines is checked by a single
``re`` call instead of a Python call per line.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from phonenumbers import (
    COUNTRY_CODE_TO_REGION_CODE,
    REGION_CODE_FOR_NON_GEO_ENTITY,
    PhoneMetadata,
)

from stoplist.domain.e164 import MAX_DIGITS, MIN_DIGITS, is_e164_shaped

_TYPE_DESCS = (
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
    "fixed_line",
    "mobile",
)

_Desc = tuple[frozenset[int], re.Pattern[str]]
_BY_PREFIX: dict[str, _CallingCode | None] = {}
"""Calling code (or None) by the digits after ``+``; filled as numbers arrive."""


_METADATA_PATTERN = re.compile(r"(?:[0-9()\[\]{}|?:,-]|\\d|\(\?:)*")
"""What the metadata's patterns are made of: digits, ``\\d``, classes, plain
and non-capturing groups, quantifiers (and ``$`` in national prefixes, which
is rewritten). Only such patterns are embedded: they match digits only, so
an embedded pattern cannot run past the end of the number."""


@dataclass(frozen=True, slots=True)
class _Region:
    leading_digits: re.Pattern[str] | None
    general: _Desc | None
    types_by_length: dict[int, re.Pattern[str] | None]
    types_any_length: re.Pattern[str] | None

    def regex(self, end: str) -> str | None:
        """Zero-width, at the start of the nsn: ``valid`` for the nsn that ends before ``end``."""
        if self.general is None:
            return "(?!)"
        lengths, general_pattern = self.general
        parts = [_whole(general_pattern.pattern, end)]
        if lengths:
            parts.append(_length_in(lengths, end))
        choices = [
            f"(?={_exactly(length, end)}){_whole(pattern.pattern, end)}"
            for length, pattern in sorted(self.types_by_length.items())
            if pattern is not None
        ]
        if self.types_any_length is not None:
            by_length = self.types_by_length
            other = f"(?!{_one_of_lengths(by_length, end)})" if by_length else ""
            choices.append(f"{other}{_whole(self.types_any_length.pattern, end)}")
        parts.append(f"(?:{'|'.join(choices)})" if choices else "(?!)")
        joined = "".join(parts)
        return joined if all(_embeddable(part) for part in self._patterns()) else None

    def _patterns(self) -> list[str]:
        found = [self.general[1].pattern] if self.general else []
        found += [p.pattern for p in self.types_by_length.values() if p is not None]
        if self.types_any_length is not None:
            found.append(self.types_any_length.pattern)
        if self.leading_digits is not None:
            found.append(self.leading_digits.pattern)
        return found

    def valid(self, nsn: str) -> bool:
        general = self.general
        if general is None:
            return False
        lengths, general_pattern = general
        if (lengths and len(nsn) not in lengths) or general_pattern.fullmatch(nsn) is None:
            return False
        pattern = self.types_by_length.get(len(nsn), self.types_any_length)
        return pattern is not None and pattern.fullmatch(nsn) is not None


@dataclass(frozen=True, slots=True)
class _CallingCode:
    national_prefix: re.Pattern[str] | None
    regions: tuple[_Region, ...]
    shared: bool

    def regex(self, end: str) -> str | None:
        """Zero-width: ``national_prefix`` does not match and ``valid`` holds, at the nsn."""
        prefix = ""
        if self.national_prefix is not None:
            national = self.national_prefix.pattern.replace("$", f"(?={end})")
            if not _embeddable(self.national_prefix.pattern.replace("$", "")):
                return None
            prefix = f"(?!(?:{national}))"
        regions = self.regions[:1] if not self.shared else self.regions
        chosen = "(?!)"
        for region in reversed(regions):  # each region decides or hands on to the next
            valid = region.regex(end)
            if valid is None:
                return None
            if not self.shared:
                chosen = valid
            elif region.leading_digits is not None:
                lead = region.leading_digits.pattern
                chosen = f"(?:(?=(?:{lead})){valid}|(?!(?:{lead})){chosen})"
            else:
                chosen = f"(?:{valid}|{chosen})"
        return prefix + chosen

    def valid(self, nsn: str) -> bool:
        """``is_valid_number`` for this calling code, region choice included."""
        if not self.shared:
            return self.regions[0].valid(nsn)
        for region in self.regions:
            if region.leading_digits is not None:
                if region.leading_digits.match(nsn):
                    return region.valid(nsn)
            elif region.valid(nsn):
                return True
        return False


def is_canonical(text: str) -> bool:
    """True only when ``normalize(text)`` would return ``text`` unchanged."""
    return is_e164_shaped(text) and is_canonical_shaped(text)


def is_canonical_shaped(text: str) -> bool:
    """``is_canonical`` for a text already known to be E.164-shaped."""
    for end in (2, 3, 4):
        prefix = text[1:end]
        code = _BY_PREFIX[prefix] if prefix in _BY_PREFIX else _lookup(prefix)  # no call when seen
        if code is None:
            continue
        nsn = text[end:]
        if code.national_prefix is not None and code.national_prefix.match(nsn):
            return False
        return code.valid(nsn)
    return False


def canonical_flags(texts: Sequence[str], max_codes: int = 8) -> list[bool]:
    """``is_canonical_shaped`` of each E.164-shaped text, most of them a run at a time.

    The texts are joined one per line and runs of canonical ones are matched
    by one ``number_regex`` expression for the ``max_codes`` most frequent
    calling codes; a text that breaks a run is tested alone. Same answers,
    about half the time for a long list.
    """
    run = _run_pattern(_frequent_codes(texts, max_codes))
    if run is None:
        return [is_canonical_shaped(text) for text in texts]
    joined = "\n".join(texts) + "\n"
    flags = [False] * len(texts)
    position = index = 0
    while index < len(texts):
        end = run.match(joined, position).end()  # type: ignore[union-attr]  # may match nothing
        matched = joined.count("\n", position, end)
        flags[index : index + matched] = [True] * matched
        index += matched
        position = end
        if index < len(texts):
            flags[index] = is_canonical_shaped(texts[index])
            position += len(texts[index]) + 1
            index += 1
    return flags


def _frequent_codes(texts: Sequence[str], count: int) -> tuple[int, ...]:
    by_code: Counter[int] = Counter()
    for prefix, seen in Counter(text[:4] for text in texts).items():
        code = calling_code(prefix)
        if code is not None:
            by_code[code] += seen
    return tuple(sorted(code for code, _ in by_code.most_common(count)))


@cache
def _run_pattern(codes: tuple[int, ...]) -> re.Pattern[str] | None:
    sources = [source for source in (number_regex(code, r"\n") for code in codes) if source]
    if not sources:
        return None
    return re.compile(rf"(?:(?:{'|'.join(sources)})\n)*", re.ASCII)


def calling_code(text: str) -> int | None:
    """The calling code of an E.164-shaped text, as ``is_canonical`` reads it."""
    for end in (2, 3, 4):
        if _lookup(text[1:end]) is not None:
            return int(text[1:end])
    return None


@cache
def number_regex(code: int, end: str) -> str | None:
    """A regular expression matching exactly the canonical numbers of one calling code.

    It matches ``+<code><nsn>`` where ``is_canonical`` is True, when followed
    by a match of ``end`` (which it does not consume; ``end`` must not match
    at a digit). Compile it with ``re.ASCII`` so that ``\\d`` means 0-9 as
    the shape test does. ``None`` when the metadata has a pattern that cannot
    be embedded safely; callers then test numbers one by one.
    """
    digits = str(code)
    if any(_calling_code(int(digits[:cut])) is not None for cut in range(1, len(digits))):
        return None  # a shorter prefix would be read as the code (never with real metadata)
    calling = _calling_code(code)
    if calling is None:
        return None
    tests = calling.regex(end)
    if tests is None:
        return None
    shortest, longest = max(1, MIN_DIGITS - len(digits)), MAX_DIGITS - len(digits)
    return rf"\+{digits}{tests}[0-9]{{{shortest},{longest}}}(?={end})"


def _lookup(prefix: str) -> _CallingCode | None:
    """The calling code that ``prefix`` (digits after ``+``) spells, if any; remembered."""
    try:
        return _BY_PREFIX[prefix]
    except KeyError:
        code = _BY_PREFIX[prefix] = _calling_code(int(prefix))
        return code


def _embeddable(pattern: str) -> bool:
    return _METADATA_PATTERN.fullmatch(pattern) is not None


def _whole(pattern: str, end: str) -> str:
    """Zero-width: ``pattern`` matches the whole nsn (``fullmatch``), which ends before ``end``."""
    return f"(?=(?:{pattern})(?={end}))"


def _exactly(length: int, end: str) -> str:
    return f"[0-9]{{{length}}}(?={end})"


def _length_in(lengths: frozenset[int], end: str) -> str:
    return f"(?={'|'.join(_exactly(length, end) for length in sorted(lengths))})"


def _one_of_lengths(by_length: dict[int, re.Pattern[str] | None], end: str) -> str:
    return "|".join(_exactly(length, end) for length in sorted(by_length))


@cache
def _calling_code(code: int) -> _CallingCode | None:
    region_codes = COUNTRY_CODE_TO_REGION_CODE.get(code)
    if not region_codes:
        return None
    regions: list[_Region] = []
    main_prefix: re.Pattern[str] | None = None
    for index, region_code in enumerate(region_codes):
        if region_code == REGION_CODE_FOR_NON_GEO_ENTITY:
            metadata = PhoneMetadata.metadata_for_nongeo_region(code, None)
        else:
            metadata = PhoneMetadata.metadata_for_region(region_code, None)
        if metadata is None:
            continue
        if index == 0 and metadata.national_prefix_for_parsing:
            main_prefix = re.compile(metadata.national_prefix_for_parsing)
        regions.append(_compile_region(metadata))
    if not regions:
        return None
    return _CallingCode(main_prefix, tuple(regions), shared=len(region_codes) > 1)


def _compile_region(metadata: PhoneMetadata) -> _Region:
    """One region's descriptions; the type patterns joined into one per length.

    A number is valid when it matches any type whose lengths admit it, so the
    patterns admitting each length become one alternation: one regex run
    instead of ten.
    """
    general = _compile_desc(metadata.general_desc)
    types = [
        desc
        for desc in (_compile_desc(getattr(metadata, name)) for name in _TYPE_DESCS)
        if desc is not None
    ]
    lengths = {length for admitted, _ in types for length in admitted}
    by_length = {
        length: _alternation([p for admitted, p in types if not admitted or length in admitted])
        for length in lengths
    }
    any_length = _alternation([p for admitted, p in types if not admitted])
    leading = re.compile(metadata.leading_digits) if metadata.leading_digits else None
    return _Region(leading, general, by_length, any_length)


def _alternation(patterns: list[re.Pattern[str]]) -> re.Pattern[str] | None:
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{p.pattern})" for p in patterns))


def _compile_desc(desc: object) -> _Desc | None:
    pattern = getattr(desc, "national_number_pattern", None)
    if desc is None or not pattern:
        return None
    return frozenset(desc.possible_length or ()), re.compile(pattern)  # type: ignore[attr-defined]
