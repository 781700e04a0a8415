"""What the dashboard shows about one account: activity per day, latest events, list pages.

Staff think in kinds of origin, not in our internal sources: "manual" covers
both the dashboard and the command line. Days are the account's local days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

import phonenumbers

from stoplist.domain import clock
from stoplist.domain.errors import InvalidPhoneNumber, PhoneNumberRequired
from stoplist.domain.numbers import normalize, plan_regions
from stoplist.records.events import Event, EventKind, Source
from stoplist.records.models import Account, Stop
from stoplist.storage import dashboard as store
from stoplist.storage.database import Database

ACTIVITY_DAYS = 90
PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
_BUCKET_US = 15 * 60 * clock.MICROS  # zone offsets are whole quarter hours
_MAX_SEARCH_DIGITS = 20


class NotANumberSearch(ValueError):
    """A list search with no digit in it."""


class Origin(StrEnum):
    """How a change reached the list, as the people running campaigns name it."""

    SMS = "sms"
    API = "api"
    IMPORT = "import"
    SYNC = "sync"
    MANUAL = "manual"

    @property
    def sources(self) -> tuple[str, ...]:
        if self is Origin.MANUAL:
            return (Source.DASHBOARD.value, Source.CLI.value)
        return (self.value,)

    @classmethod
    def of(cls, source: str) -> Origin:
        if source in (Source.DASHBOARD.value, Source.CLI.value):
            return cls.MANUAL
        try:
            return cls(source)
        except ValueError:
            return cls.MANUAL


@dataclass(frozen=True, slots=True)
class DayActivity:
    """Opt-outs and opt-ins on one local day, by origin."""

    day: date
    opt_outs: dict[Origin, int]
    opt_ins: dict[Origin, int]

    @property
    def total_opt_outs(self) -> int:
        return sum(self.opt_outs.values())

    @property
    def total_opt_ins(self) -> int:
        return sum(self.opt_ins.values())


@dataclass(frozen=True, slots=True)
class Page:
    stops: list[Stop]
    total: int
    number: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


class Dashboard:
    """Read-only views of one account's list for its staff."""

    def __init__(self, db: Database, account: Account) -> None:
        self.db = db
        self.account = account

    def activity(self, *, days: int = ACTIVITY_DAYS, now: int | None = None) -> list[DayActivity]:
        """One entry per local day, oldest first, ending today; empty days included."""
        zone = self.account.zone
        today = clock.from_us(now if now is not None else clock.now_us(), zone).date()
        first = today - timedelta(days=days - 1)
        since = clock.to_us(_local_midnight(first, self.account))
        kinds = (EventKind.OPT_OUT.value, EventKind.OPT_IN.value)
        with self.db.read() as conn:
            rows = store.activity(
                conn, self.account.id, since=since, bucket_us=_BUCKET_US, kinds=kinds
            )
        by_day = {
            first + timedelta(days=i): DayActivity(first + timedelta(days=i), {}, {})
            for i in range(days)
        }
        for bucket, kind, source, count in rows:
            day = clock.from_us(bucket * _BUCKET_US, zone).date()
            entry = by_day.get(day)
            if entry is None:
                continue
            target = entry.opt_outs if kind == EventKind.OPT_OUT.value else entry.opt_ins
            origin = Origin.of(source)
            target[origin] = target.get(origin, 0) + count
        return list(by_day.values())

    def latest_events(self, limit: int = 10) -> list[Event]:
        with self.db.read() as conn:
            return store.latest_events(conn, self.account.id, limit)

    def page(
        self,
        *,
        number: int = 1,
        size: int = PAGE_SIZE,
        since: date | None = None,
        until: date | None = None,
        origin: Origin | None = None,
        search: str = "",
        newest_first: bool = True,
    ) -> Page:
        """One page of the list; ``since`` and ``until`` are inclusive local days.

        ``search`` keeps the numbers ``number_search`` says; a page past the
        last one is the last one.
        """
        size = min(max(size, 1), MAX_PAGE_SIZE)
        number = max(number, 1)
        filters = {
            "numbers": number_search(search, self.account.default_region) if search else None,
            "since": clock.to_us(_local_midnight(since, self.account)) if since else None,
            "until": (
                clock.to_us(_local_midnight(until + timedelta(days=1), self.account))
                if until
                else None
            ),
            "sources": origin.sources if origin else None,
        }
        with self.db.read(snapshot=True) as conn:
            total = store.count_stops(conn, self.account.id, **filters)  # type: ignore[arg-type]
            number = min(number, max(1, -(-total // size)))
            stops = store.page_stops(
                conn,
                self.account.id,
                **filters,  # type: ignore[arg-type]
                newest_first=newest_first,
                offset=(number - 1) * size,
                limit=size,
            )
        return Page(stops, total, number, size)


def number_search(raw: str, region: str) -> store.NumberFilter:
    """What a list search typed by staff matches, in any spelling of a number or part of one.

    A whole valid number matches itself, however it is written. Otherwise the
    digits are read as the start of a number when they begin like one (``+``,
    the region's international prefix such as ``00``, or its national prefix
    such as ``0``: ``06 12`` means ``+33612…`` on a French account, and the
    same start in the regions that share the national plan, ``+590612…`` and
    so on, as ``normalize`` reads a whole number there), and as digits
    anywhere in the number when they do not (``45 67``).
    ``NotANumberSearch`` if there is no digit at all.
    """
    text = raw.strip()
    try:
        return ("exact", (normalize(text, region),))
    except (InvalidPhoneNumber, PhoneNumberRequired):
        pass
    digits = "".join(c for c in text if c.isascii() and c.isdigit())[:_MAX_SEARCH_DIGITS]
    if not digits:
        raise NotANumberSearch(raw)
    if text.startswith("+"):
        return ("prefix", ("+" + digits,))
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if metadata is not None:
        international = metadata.preferred_international_prefix or metadata.international_prefix
        if international and international.isdigit() and digits.startswith(international):
            return ("prefix", ("+" + digits[len(international) :],))
        national = metadata.national_prefix
        if national and digits.startswith(national) and len(digits) > len(national):
            rest = digits[len(national) :]
            codes = [metadata.country_code]
            codes += [phonenumbers.country_code_for_region(other) for other in plan_regions(region)]
            return ("prefix", tuple(f"+{code}{rest}" for code in codes))
    return ("contains", (digits,))


def _local_midnight(day: date, account: Account) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=account.zone)
