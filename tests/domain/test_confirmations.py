"""The rules of confirmations that need no server: languages, defaults, the key's hint."""

from __future__ import annotations

import pytest

from stoplist.domain.accounts import Accounts
from stoplist.domain.confirmations import (
    DEFAULT_TEXTS,
    KINDS,
    SENDER,
    Confirmations,
    region_language,
    reply_language,
)
from stoplist.domain.errors import ConfirmationValueLength, UnknownConfirmation
from stoplist.domain.keywords import KeywordSet, keyword_languages
from stoplist.domain.reasonable_means import LANGUAGES
from stoplist.records.models import Account


def _account(region: str) -> Account:
    return Account(1, "acme", region, "Europe/Paris", "token", True, 0)


def test_every_language_has_every_kind_naming_the_sender():
    assert set(DEFAULT_TEXTS) == set(LANGUAGES)
    for language, texts in DEFAULT_TEXTS.items():
        assert set(texts) == set(KINDS), language
        for text in texts.values():
            assert text.startswith(SENDER) and len(text) <= 160, (language, text)


def test_every_built_in_keyword_has_a_language():
    for keyword in KeywordSet.built_in().actions:
        assert keyword_languages(keyword), keyword
    assert keyword_languages("my own keyword") == ()


@pytest.mark.parametrize(
    ("region", "keyword", "recognised", "language"),
    [
        ("FR", "stop", None, "fr"),
        ("NL", "stop", None, "nl"),
        ("DE", "stop", None, "en"),  # "stop" is not German ("stopp" is): its first language
        ("US", "arret", None, "fr"),
        ("FR", "baja", None, "es"),
        ("BR", "cancelar", None, "pt"),
        ("FR", "cancelar", None, "es"),
        ("FR", None, "en", "en"),  # an opt-out in other words: the sentence's language
        ("ES", None, None, "es"),  # a provider's decision on a text we cannot read
        ("JP", "own keyword", None, "en"),
    ],
)
def test_reply_language(region, keyword, recognised, language):
    assert reply_language(_account(region), keyword, recognised) == language


def test_region_language_is_english_elsewhere():
    assert region_language("fr") == "fr" and region_language("ZZ") == "en"


def test_texts_and_key_hint(db):
    account = Accounts(db).create("confirmations-domain").account
    confirmations = Confirmations(db, account)
    with pytest.raises(UnknownConfirmation):
        confirmations.set_text("reply", "en", "x")
    with pytest.raises(UnknownConfirmation):
        confirmations.set_text("help", "ja", "x")
    with pytest.raises(ConfirmationValueLength):
        confirmations.set_text("help", "en", "   ")
    with pytest.raises(ConfirmationValueLength):
        confirmations.update(sender="x" * 41)
    # Saving the default is going back to it.
    saved = confirmations.set_text("help", "en", DEFAULT_TEXTS["en"][KINDS[2]])
    assert saved.custom is False
    assert confirmations.update(smspartner_key="short").smspartner_key_hint == "…"
    hint = confirmations.update(smspartner_key="a-long-enough-key-9876").smspartner_key_hint
    assert hint == "…9876"
    assert confirmations.update(forget_smspartner_key=True).smspartner_key_hint is None
