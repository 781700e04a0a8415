"""Numbers, counts and times written for the page's reader."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from babel import Locale

from stoplist.domain import clock
from stoplist.web.formatting import Formats, national_number, page_locale


@pytest.mark.parametrize(
    ("header", "lang", "locale"),
    [
        ("en-GB,en;q=0.9", "en", "en_GB"),
        ("en-US", "en", "en_US"),
        ("fr-CH, fr;q=0.9, en;q=0.8", "fr", "fr_CH"),
        ("de-DE, fr;q=0.5", "fr", "fr"),
        ("xx-YY-not-a-tag, en", "en", "en"),
        (None, "fr", "fr"),
    ],
)
def test_the_locale_is_the_browsers_first_in_the_pages_language(header, lang, locale):
    assert str(page_locale(header, lang)) == locale


@pytest.mark.parametrize(
    ("e164", "region", "shown"),
    [
        ("+33612345678", "FR", "06 12 34 56 78"),
        ("+4915112345678", "FR", "+49 1511 2345678"),
        ("+14155552671", "US", "(415) 555-2671"),
        ("+33612345678", "US", "+33 6 12 34 56 78"),
        ("not a number", "FR", "not a number"),
    ],
)
def test_numbers_are_national_for_the_accounts_country_and_international_otherwise(
    e164, region, shown
):
    assert national_number(e164, region) == shown


def test_counts_and_times_follow_the_locale_and_the_accounts_zone(account):
    instant = clock.to_us(datetime(2026, 11, 27, 12, 35, 34, tzinfo=UTC))
    french = Formats(Locale.parse("fr_FR"), account.account)
    new_york = replace(account.account, timezone="America/New_York")
    british = Formats(Locale.parse("en_GB"), new_york)
    assert french.count(1234567) == "1\u202f234\u202f567"
    assert british.count(1234567) == "1,234,567"
    assert french.when(instant) == "27 nov. 2026, 13:35:34"
    assert british.when(instant) == "27 Nov 2026, 07:35:34"
    assert british.iso(instant) == "2026-11-27T07:35:34-05:00"
    assert french.day(date(2026, 3, 1)) == "1 mars 2026"
    assert french.zone_name == "Europe/Paris (heure d’Europe centrale)"
    assert british.zone_name.startswith("America/New_York (")
