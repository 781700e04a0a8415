"""``number_regex`` gives exactly the verdicts of ``is_canonical``, code by code."""

from __future__ import annotations

import random
import re

import phonenumbers
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE

from stoplist.domain.canonical import calling_code, is_canonical, number_regex
from stoplist.domain.numbers import normalize

_END = r",|\r?\n"


def _samples(rng: random.Random) -> list[str]:
    """Valid numbers of every region and type, and near misses of every calling code."""
    samples: list[str] = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in range(12):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is None:
                continue
            text = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
            code = str(example.country_code)
            nsn = text[1 + len(code) :]
            samples += [text, f"+{code}0{nsn}", f"+{code}00{nsn}", text + "0", text[:-1]]
            for _ in range(10):
                cut = rng.randrange(1 + len(code), len(text))
                tail = "".join(rng.choice("0123456789") for _ in range(len(text) - cut))
                samples.append(text[:cut] + tail)
    for code in COUNTRY_CODE_TO_REGION_CODE:
        for _ in range(30):
            length = rng.randrange(2, 15)
            samples.append(f"+{code}" + "".join(rng.choice("0123456789") for _ in range(length)))
    return samples


def test_number_regex_agrees_with_is_canonical_for_every_calling_code():
    samples = _samples(random.Random(11))
    odd = ["+٣٣٦١٢٣٤٥٦٧٨", "+33 612345678", "+0336123456", "+", "+33612345678x", "33612345678"]
    codes = sorted(COUNTRY_CODE_TO_REGION_CODE)
    sources = [number_regex(code, _END) for code in codes]
    assert all(sources)  # every code of the metadata can be embedded
    pattern = re.compile(f"(?:{'|'.join(sources)})(?:,|\\r?\\n)", re.ASCII)  # type: ignore[arg-type]
    canonical = 0
    for text in samples + odd:
        verdict = is_canonical(text)
        canonical += verdict
        for end in (",", "\n", "\r\n"):
            assert (pattern.fullmatch(text + end) is not None) == verdict, (text, end)
    assert canonical > len(samples) // 10  # valid numbers are well represented


def test_what_number_regex_accepts_normalize_leaves_unchanged():
    samples = _samples(random.Random(5))[::7]
    for text in samples:
        code = calling_code(text) if text[1:].isdigit() else None
        source = number_regex(code, _END) if code else None
        if source is None or not re.fullmatch(f"{source}\n", text + "\n", re.ASCII):
            continue
        assert normalize(text) == text, text


def test_calling_code_reads_the_prefix_is_canonical_reads():
    assert calling_code("+33612345678") == 33
    assert calling_code("+12025550123") == 1
    assert calling_code("+380501234567") == 380
