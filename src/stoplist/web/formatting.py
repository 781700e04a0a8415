"""Numbers, counts, dates and times written the way the page's reader writes them.

Counts and dates follow the page's locale (Babel): the language the page is
in, with the browser's country when it gives one (``en-GB`` reads
``27 Nov 2026``, ``en-US`` ``Nov 27, 2026``). Phone numbers are shown in the
account's national format beside E.164, and times in the account's zone, which
pages name (``zone_note``).
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import phonenumbers
from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime, get_timezone_name
from babel.numbers import format_decimal

from stoplist.domain import clock
from stoplist.i18n import Language
from stoplist.records.models import Account


def page_locale(accept_language: str | None, lang: Language) -> Locale:
    """The first locale the browser asks for in the page's language, else the language."""
    for part in (accept_language or "").split(","):
        tag = part.split(";", 1)[0].strip().replace("-", "_")
        if not tag or tag.split("_", 1)[0].lower() != lang:
            continue
        try:
            return Locale.parse(tag)
        except (UnknownLocaleError, ValueError):
            continue
    return Locale.parse(lang)


@lru_cache(maxsize=4096)
def national_number(e164: str, region: str) -> str:
    """``+33612345678`` as ``06 12 34 56 78`` for an FR account; foreign numbers internationally.

    A number from another country has no national form for the account's
    staff, so it is written ``+49 1511 2345678``.
    """
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    own = parsed.country_code == phonenumbers.country_code_for_region(region)
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if own
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(parsed, style)


class Formats:
    """What templates call to write values for one page (``ctx.fmt``)."""

    def __init__(self, locale: Locale, account: Account | None) -> None:
        self.locale = locale
        self.account = account

    def count(self, value: int) -> str:
        return format_decimal(value, locale=self.locale)

    def number(self, e164: str) -> str:
        region = self.account.default_region if self.account else "FR"
        return national_number(e164, region)

    def when(self, instant: int) -> str:
        """An instant in the account's zone, as a date and time in the page's locale."""
        assert self.account is not None
        moment = clock.from_us(instant, self.account.zone)
        return format_datetime(moment, "medium", tzinfo=self.account.zone, locale=self.locale)

    def iso(self, instant: int) -> str:
        """The same instant for ``<time datetime=...>``."""
        assert self.account is not None
        return clock.from_us(instant, self.account.zone).isoformat(timespec="seconds")

    def day(self, value: date, style: str = "medium") -> str:
        return format_date(value, style, locale=self.locale)

    def short_day(self, value: date) -> str:
        return format_date(value, "d MMM", locale=self.locale)

    @property
    def zone_name(self) -> str:
        """``Europe/Paris (Central European Time)``, in the page's language."""
        assert self.account is not None
        zone = self.account.zone
        return f"{zone.key} ({get_timezone_name(zone, 'long', locale=self.locale)})"
