"""The fast paths give the slow path's verdicts on overseas numbers, as on any other.

``canonical`` (one number, and the block expressions), ``number_arrays`` and
the filter index skip ``phonenumbers`` only where ``normalize`` would leave the
input unchanged; these tests hold them to that over a table of real overseas
numbers, their misspellings and random numbers of the same calling codes.
"""

from __future__ import annotations

import random
import re

from stoplist.domain.canonical import (
    calling_code,
    canonical_flags,
    is_canonical,
    is_canonical_shaped,
    number_regex,
)
from stoplist.domain.e164 import is_e164_shaped
from stoplist.domain.errors import StoplistError
from stoplist.domain.filtering import filter_numbers
from stoplist.domain.number_arrays import e164_values
from stoplist.domain.numbers import normalize
from stoplist.domain.stop_index import StopIndexes
from stoplist.domain.stops import StopList
from tests.overseas import OVERSEAS

_LINE_END = r"\n"
CODES = ("33", "590", "594", "596", "262", "508")


def _inputs(seed: int, count: int = 3000) -> list[str]:
    rng = random.Random(seed)
    found: list[str] = []
    for national, e164 in OVERSEAS:
        nsn = e164[1 + len(str(calling_code(e164))) :]
        found += [national, e164, "+33" + nsn, "+330" + nsn, e164[:-1], e164 + "1"]
    for _ in range(count):
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randrange(6, 11)))
        code = rng.choice(CODES)
        found.append(rng.choice([f"+{code}{digits}", f"0{digits[:9]}", f"06{digits[:8]}"]))
    return found


def _slow(raw: str) -> str | None:
    try:
        return normalize(raw, "FR")
    except StoplistError:
        return None


def test_the_table_is_canonical_once_normalised():
    for national, e164 in OVERSEAS:
        assert normalize(national, "FR") == e164
        assert is_canonical(e164), e164  # so filters and imports take the fast path


def test_canonical_checks_never_disagree_with_normalize():
    inputs = _inputs(1)
    shaped = [text for text in inputs if is_e164_shaped(text)]
    for text in shaped:
        if is_canonical(text):
            assert _slow(text) == text, text
    assert canonical_flags(shaped) == [is_canonical_shaped(text) for text in shaped]
    mask, values = e164_values(inputs)
    assert mask.tolist() == [is_e164_shaped(text) for text in inputs]
    assert values.tolist() == [int(t[1:]) if is_e164_shaped(t) else 0 for t in inputs]
    for code in {calling_code(text) for text in shaped} - {None}:
        source = number_regex(code, _LINE_END)
        assert source is not None
        pattern = re.compile(f"(?:{source})\n", re.ASCII)
        for text in shaped:
            if calling_code(text) == code:
                assert (pattern.fullmatch(text + "\n") is not None) == is_canonical(text), text


def test_filter_gives_normalize_then_lookup(db, account):
    stops = StopList(db, account.account)
    inputs = _inputs(2, count=800)
    stopped = dict(OVERSEAS[::2])  # national form by E.164, each number once
    for national in {e164: national for national, e164 in stopped.items()}.values():
        stops.add(national)
    random.Random(3).shuffle(inputs)
    for raw in inputs[:100]:
        if _slow(raw) is not None and stops.find(_slow(raw)) is None:
            stops.add(raw)
    verdicts = filter_numbers(stops, inputs, StopIndexes())
    for position, raw in enumerate(inputs):
        number = _slow(raw)
        stop = stops.find(number) if number is not None else None
        assert verdicts.numbers[position] == number, raw
        assert verdicts.stop_ids[position] == (stop.id if stop else None), raw
    assert verdicts.stopped >= len(set(stopped.values()))
