"""Every spelling of a number compares equal once normalised to E.164."""

import pytest

from stoplist.domain.errors import InvalidPhoneNumber, PhoneNumberRequired
from stoplist.domain.numbers import is_e164, normalize

SAME_FRENCH_MOBILE = [
    "0612345678",
    "06 12 34 56 78",
    "06.12.34.56.78",
    "06-12-34-56-78",
    "+33612345678",
    "+33 6 12 34 56 78",
    "+33 (0)6 12 34 56 78",
    "0033612345678",
    "0033 6 12 34 56 78",
    "33612345678",
    "  0612345678  ",
    "tel:+33612345678",
    "612345678",
    33612345678,
]


@pytest.mark.parametrize("raw", SAME_FRENCH_MOBILE)
def test_french_forms_are_one_number(raw):
    assert normalize(raw) == "+33612345678"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0140000000", "+33140000000"),  # Paris landline
        ("+4915112345678", "+4915112345678"),  # Germany mobile
        ("004915112345678", "+4915112345678"),
        ("4915112345678", "+4915112345678"),  # without plus, as webhooks send it
        ("+32470123456", "+32470123456"),  # Belgium
        ("+41791234567", "+41791234567"),  # Switzerland
        ("+34612345678", "+34612345678"),  # Spain
        ("+14155552671", "+14155552671"),  # United States
        ("+1 (415) 555-2671", "+14155552671"),
        ("+447400123456", "+447400123456"),  # United Kingdom
        ("+262692123456", "+262692123456"),  # Réunion
    ],
)
def test_international_numbers(raw, expected):
    assert normalize(raw) == expected


def test_the_account_region_decides_national_forms():
    assert normalize("015112345678", "DE") == "+4915112345678"
    assert normalize("(415) 555-2671", "US") == "+14155552671"
    assert normalize("0470 12 34 56", "BE") == "+32470123456"


@pytest.mark.parametrize(
    "raw",
    [
        "12",
        "0612",
        "06123456789012",
        "+33 6 12",
        "+999123456789",
        "06 12 34 56 7A",
        "STOP",
        "+33+612345678",
        "06123456;78",
        "0" * 80,
        "+0612345678",
        True,
        ["0612345678"],
        12.5,
    ],
)
def test_invalid_numbers_are_refused(raw):
    with pytest.raises(InvalidPhoneNumber):
        normalize(raw)


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_missing_numbers_are_required(raw):
    with pytest.raises(PhoneNumberRequired):
        normalize(raw)


def test_e164_shape():
    assert is_e164("+33612345678")
    assert not is_e164("0612345678")
    assert not is_e164("+0612345678")
