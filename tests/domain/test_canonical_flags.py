"""The run-at-a-time canonical test gives what the one-number test and ``normalize`` give."""

import random

from stoplist.domain.canonical import canonical_flags, is_canonical_shaped
from stoplist.domain.errors import StoplistError
from stoplist.domain.numbers import normalize


def _sample() -> list[str]:
    rng = random.Random(7)
    texts = [f"+336{rng.randrange(10**8):08d}" for _ in range(3000)]  # mostly valid
    texts += [f"+1{rng.randrange(2 * 10**9, 10**10)}" for _ in range(500)]  # shared code
    texts += [f"+44{rng.randrange(10**9, 10**10)}" for _ in range(500)]
    texts += [f"+49{rng.randrange(10**6, 10**12)}" for _ in range(500)]  # many lengths
    texts += [f"+{rng.randrange(10**6, 10**14)}" for _ in range(500)]  # anything at all
    texts += ["+330612345678", "+33612345678", "+1234567", "+999123456789", "+800123456789"]
    rng.shuffle(texts)
    return texts


def _canonical(text: str) -> bool:
    try:
        return normalize(text, "FR") == text
    except StoplistError:
        return False


def test_runs_give_the_one_number_answers():
    texts = _sample()
    flags = canonical_flags(texts)
    assert flags == [is_canonical_shaped(text) for text in texts]
    assert flags == [_canonical(text) for text in texts]
    assert 0 < sum(flags) < len(texts)


def test_few_codes_in_the_expression_still_give_every_answer():
    texts = _sample()
    assert canonical_flags(texts, max_codes=1) == [is_canonical_shaped(t) for t in texts]


def test_no_texts():
    assert canonical_flags([]) == []
