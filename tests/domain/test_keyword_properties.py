"""Properties of the keyword engine, over any text Hypothesis can make up."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from stoplist.domain.keywords import KeywordSet, normalize_keyword
from stoplist.records.events import EventKind

ANY_TEXT = st.text(st.characters(codec=None), max_size=300) | st.text(max_size=3000)
KINDS = st.sampled_from([EventKind.OPT_OUT, EventKind.OPT_IN, EventKind.HELP, None])


@settings(max_examples=400, deadline=None)
@given(ANY_TEXT)
def test_any_text_gets_a_verdict(text):
    verdict = KeywordSet.built_in().classify(text)
    assert verdict.kind in set(EventKind)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=40), KINDS, max_size=5), ANY_TEXT)
def test_any_text_gets_a_verdict_under_any_account_keywords(words, text):
    overrides = {}
    for word, kind in words.items():
        try:
            overrides[normalize_keyword(word)] = kind
        except ValueError:
            continue  # nothing left once normalised: refused when added
    verdict = KeywordSet.built_in().with_overrides(overrides).classify(text)
    assert verdict.kind in set(EventKind)


NOISE = st.text(st.characters(categories=["P", "S", "Z", "C"]), max_size=6)


@settings(max_examples=300, deadline=None)
@given(NOISE, st.sampled_from(["STOP", "Stop", "stop", "ARRÊT", "Arret", "STOPP", "baja"]), NOISE)
@example("", "STOP", "\u3200")  # a symbol whose compatibility form is "(ᄀ)"
@example("\u24ae", "STOP", "\u24ae")  # "⒮", compatibility form "(s)"
def test_a_keyword_between_punctuation_symbols_and_spaces_is_still_a_keyword(before, word, after):
    assert KeywordSet.built_in().classify(before + word + after).kind is EventKind.OPT_OUT
