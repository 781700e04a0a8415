"""Every spelling of a number compares equal once normalised to E.164."""

import pytest

from stoplist import wording
from stoplist.api.errors import error_body
from stoplist.domain.errors import InvalidPhoneNumber, PhoneNumberRequired, Reason
from stoplist.domain.numbers import normalize, normalize_sender, plan_regions
from tests.overseas import OVERSEAS

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


@pytest.mark.parametrize(("raw", "expected"), OVERSEAS)
def test_french_overseas_numbers_on_a_french_account(raw, expected):
    assert normalize(raw, "FR") == expected
    assert normalize(expected, "FR") == expected


def test_every_region_of_the_french_plan_reads_the_others_national_forms():
    assert plan_regions("FR") == ("GP", "GF", "MQ", "PM", "RE")
    assert normalize("0612345678", "GP") == "+33612345678"  # a metropolitan mobile
    assert normalize("0696201234", "RE") == "+596696201234"
    assert normalize("0690845073", "GP") == "+590690845073"
    assert plan_regions("BE") == ()
    with pytest.raises(InvalidPhoneNumber):
        normalize("0690845073", "BE")  # the rule belongs to the French plan only
    assert normalize("0690845073", "DE") == "+49690845073"  # Frankfurt, read at home first


@pytest.mark.parametrize("region", ["FR", "GP", "MQ", "RE", "GF"])
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0596 33 50 92", "+596596335092"),  # Martinique landline
        ("0263 12 34 56", "+262263123456"),  # Réunion landline
        ("0269 61 23 45", "+262269612345"),  # Mayotte landline
        ("0590 27 12 34", "+590590271234"),  # Guadeloupe landline
    ],
)
def test_overseas_landlines_are_not_read_as_metropolitan_numbers(raw, expected, region):
    """``phonenumbers`` finds these valid under +33 too; the overseas reading is the
    line a STOP from it is stored under, so the national form must meet it."""
    assert normalize(raw, region) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0596 12 34 56", "+33596123456"),  # no Martinique range: stays as before
        ("0800 12 34 56", "+33800123456"),  # freephone: the same number everywhere
        ("0976 12 34 56", "+33976123456"),  # VoIP ranges of several overseas codes
        ("0947 71 23 45", "+33947712345"),  # a VoIP number in France, fixed in Martinique
        ("0559 12 34 56", "+33559123456"),
        ("+33 596 33 50 92", "+33596335092"),  # an international form means what it says
        ("33596335092", "+33596335092"),
    ],
)
def test_metropolitan_readings_stay_where_no_single_overseas_line_shadows_them(raw, expected):
    assert normalize(raw, "FR") == expected


@pytest.mark.parametrize("raw", ["75 12 35", "75.12.35", "411234"])
def test_six_digits_on_a_french_account_are_not_saint_pierre_et_miquelon(raw):
    """Saint-Pierre-et-Miquelon's own numbers have six digits: read in the plan's other
    regions, any six digits typed (a truncated number) would become one of them."""
    with pytest.raises(InvalidPhoneNumber):
        normalize(raw, "FR")
    assert normalize(raw, "PM") == "+508" + raw.replace(" ", "").replace(".", "")


def test_regions_sharing_a_calling_code_already_read_each_others_numbers():
    assert normalize("07797 123456", "GB") == "+447797123456"  # Jersey mobile
    assert normalize("07781 123456", "GB") == "+447781123456"  # Guernsey mobile
    assert normalize("(204) 555-1234", "US") == "+12045551234"  # Manitoba, Canada
    assert normalize("0269601234", "RE") == "+262269601234"  # Mayotte landline


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("061234", Reason.TOO_SHORT),
        ("06123456789012", Reason.TOO_LONG),
        ("+33 6 12", Reason.TOO_SHORT),
        ("+999123456789", Reason.UNKNOWN_COUNTRY_CODE),
        ("+3312", Reason.TOO_SHORT),
        ("+33690845073", Reason.UNKNOWN_PREFIX),  # an overseas mobile under +33
        ("0712345678", Reason.UNKNOWN_PREFIX),
        ("STOP", Reason.NOT_A_NUMBER),
        ("06 12 34 56 7A", Reason.NOT_A_NUMBER),
        ("+33+612345678", Reason.NOT_A_NUMBER),
        ("0" * 80, Reason.TOO_LONG),
        (True, Reason.NOT_A_NUMBER),
    ],
)
def test_an_invalid_number_says_why(raw, reason):
    with pytest.raises(InvalidPhoneNumber) as raised:
        normalize(raw)
    assert raised.value.reason is reason
    assert error_body(raised.value, "fr")[1]["reason"] == reason.value
    assert error_body(raised.value, "en")[1]["detail"] == wording.invalid_number(reason, "en")


def test_a_landline_is_a_number_like_any_other():
    """Whether a number takes SMS is no reason to refuse it: landlines are stopped too."""
    assert normalize("0140000000") == "+33140000000"
    assert normalize("0262161234") == "+262262161234"


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("4915112345678", "DE", "+4915112345678"),  # not the Leer line +494915112345678
        ("49 151 1234 5678", "DE", "+4915112345678"),
        ("tel:4915112345678", "DE", "+4915112345678"),
        ("4366412345678", "AT", "+4366412345678"),
        ("015112345678", "DE", "+4915112345678"),  # the trunk 0: national
        ("15112345678", "DE", "+4915112345678"),  # its 0 lost: national, not +1 511...
        ("15109349336", "DE", "+4915109349336"),  # not the US +1 510 934 9336
        ("687844120", "FR", "+33687844120"),  # not New Caledonia's +687 844120
        ("690355854", "GP", "+590690355854"),  # not Tokelau's +690 355854
        ("33612345678", "FR", "+33612345678"),
        ("2015550123", "US", "+12015550123"),  # NANP national forms have no prefix
        ("612345678", "ES", "+34612345678"),  # neither do Spain's
        ("+4915112345678", "FR", "+4915112345678"),
    ],
)
def test_a_plus_less_sender_of_the_accounts_own_country_is_international(raw, region, expected):
    assert normalize_sender(raw, region) == expected


def test_the_api_keeps_the_national_reading_of_plus_less_digits():
    assert normalize("4915112345678", "DE") == "+494915112345678"
