"""What the dashboard counts and lists, and who may open it."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from stoplist.domain import clock
from stoplist.domain.dashboard import Dashboard, NotANumberSearch, Origin, number_search
from stoplist.domain.stops import StopList
from stoplist.records.events import EventKind, NewEvent, Source

PARIS = ZoneInfo("Europe/Paris")


def _at(year: int, month: int, day: int, hour: int, minute: int = 0) -> int:
    return clock.to_us(datetime(year, month, day, hour, minute, tzinfo=PARIS))


def test_activity_counts_local_days_by_origin(db, account):
    stops = StopList(db, account.account)
    now = _at(2026, 3, 31, 12)
    # 00:30 in Paris is still the previous day in UTC: it must count on the 30th.
    stops.record(
        NewEvent("+33600000001", EventKind.OPT_OUT, Source.SMS, event_at=_at(2026, 3, 30, 0, 30))
    )
    stops.record(
        NewEvent("+33600000002", EventKind.OPT_OUT, Source.DASHBOARD, event_at=_at(2026, 3, 30, 9))
    )
    stops.record(
        NewEvent("+33600000003", EventKind.OPT_OUT, Source.CLI, event_at=_at(2026, 3, 30, 23, 45))
    )
    stops.record(
        NewEvent("+33600000001", EventKind.OPT_IN, Source.API, event_at=_at(2026, 3, 31, 8))
    )
    stops.record(NewEvent("+33600000004", EventKind.HELP, Source.SMS, event_at=_at(2026, 3, 31, 8)))
    # Older than 90 days: not on the chart.
    stops.record(
        NewEvent("+33600000005", EventKind.OPT_OUT, Source.IMPORT, event_at=_at(2025, 12, 1, 8))
    )

    days = Dashboard(db, account.account).activity(now=now)

    assert len(days) == 90
    assert days[-1].day == date(2026, 3, 31) and days[0].day == date(2026, 1, 1)
    by_day = {d.day: d for d in days}
    assert by_day[date(2026, 3, 30)].opt_outs == {Origin.SMS: 1, Origin.MANUAL: 2}
    assert by_day[date(2026, 3, 30)].opt_ins == {}
    assert by_day[date(2026, 3, 31)].opt_ins == {Origin.API: 1}
    assert by_day[date(2026, 3, 31)].opt_outs == {}
    assert sum(d.total_opt_outs for d in days) == 3


def test_latest_events_are_the_accounts_own(db, account, other_account):
    StopList(db, account.account).add("0612345678", source=Source.DASHBOARD, reason="phone call")
    StopList(db, other_account.account).add("0698765432")
    latest = Dashboard(db, account.account).latest_events()
    assert [(e.phone_number, e.reason) for e in latest] == [("+33612345678", "phone call")]


def test_pages_filter_sort_and_count(db, account, other_account):
    stops = StopList(db, account.account)
    for index, (source, day) in enumerate(
        [(Source.SMS, 1), (Source.API, 2), (Source.IMPORT, 3), (Source.SMS, 4), (Source.CLI, 5)]
    ):
        stops.record(
            NewEvent(
                f"+3361000000{index}", EventKind.OPT_OUT, source, event_at=_at(2026, 2, day, 10)
            )
        )
    StopList(db, other_account.account).add("+33610000000")
    dashboard = Dashboard(db, account.account)

    newest = dashboard.page(size=2)
    assert newest.total == 5 and newest.pages == 3 and newest.has_next
    assert [s.phone_number for s in newest.stops] == ["+33610000004", "+33610000003"]
    oldest = dashboard.page(size=2, number=3, newest_first=False)
    assert [s.phone_number for s in oldest.stops] == ["+33610000004"] and not oldest.has_next

    sms = dashboard.page(origin=Origin.SMS)
    assert sorted(s.phone_number for s in sms.stops) == ["+33610000000", "+33610000003"]
    manual = dashboard.page(origin=Origin.MANUAL)
    assert [s.phone_number for s in manual.stops] == ["+33610000004"]
    window = dashboard.page(since=date(2026, 2, 2), until=date(2026, 2, 3))
    assert sorted(s.phone_number for s in window.stops) == ["+33610000001", "+33610000002"]


def test_activity_window_follows_the_account_zone(db, account):
    now = clock.now_us()
    days = Dashboard(db, account.account).activity(days=7, now=now)
    today = clock.from_us(now, PARIS).date()
    assert [d.day for d in days] == [today - timedelta(days=i) for i in range(6, -1, -1)]


def _french_plan_starts(rest: str) -> tuple[str, ...]:
    """``rest`` after each calling code of the French national plan, France's first."""
    return tuple(f"+{code}{rest}" for code in (33, 590, 594, 596, 508, 262))


@pytest.mark.parametrize(
    ("typed", "region", "expected"),
    [
        ("06 12 34 56 78", "FR", ("exact", ("+33612345678",))),
        ("+33 (0)6.12.34.56.78", "FR", ("exact", ("+33612345678",))),
        ("0033612345678", "FR", ("exact", ("+33612345678",))),
        # The French plan's start, in each of its regions: 0690 is Guadeloupe's.
        ("06 12", "FR", ("prefix", _french_plan_starts("612"))),
        ("0690 84", "FR", ("prefix", _french_plan_starts("69084"))),
        ("0033 6 1", "FR", ("prefix", ("+3361",))),
        ("+49 151", "FR", ("prefix", ("+49151",))),
        ("015 1", "DE", ("prefix", ("+49151",))),
        ("45 67", "FR", ("contains", ("4567",))),
        ("33612", "FR", ("contains", ("33612",))),
        ("011 44 20", "US", ("prefix", ("+4420",))),
        ("1 415", "US", ("prefix", ("+1415",))),
        ("٠٦١٢", "FR", None),
    ],
)
def test_list_search_reads_any_spelling_of_a_number_or_part_of_one(typed, region, expected):
    if expected is None:
        with pytest.raises(NotANumberSearch):
            number_search(typed, region)
    else:
        assert number_search(typed, region) == expected


def test_list_search_finds_numbers_by_whole_number_start_or_digits(db, account, other_account):
    stops = StopList(db, account.account)
    for number in ("+33612345678", "+33612000000", "+33745671234", "+4915112345678"):
        stops.add(number)
    StopList(db, other_account.account).add("+33612345679")
    dashboard = Dashboard(db, account.account)

    def found(search: str) -> list[str]:
        return sorted(s.phone_number for s in dashboard.page(search=search).stops)

    assert found("06.12.34.56.78") == ["+33612345678"]
    assert found("06 12") == ["+33612000000", "+33612345678"]
    assert found("4567") == ["+33612345678", "+33745671234", "+4915112345678"]
    assert found("7 12") == ["+33745671234"]
    assert found("+49") == ["+4915112345678"]
    stops.add("+590690845073")  # typed 0690 84 50 73 on this French account: Guadeloupe
    for typed in ("0690 84 50", "0690 84", "06 90 84 50 73 (mobile)"):
        assert found(typed) == ["+590690845073"], typed
    assert dashboard.page(search="06 12").total == 2
    with pytest.raises(NotANumberSearch):
        dashboard.page(search="hello")


def test_a_page_past_the_last_is_the_last(db, account):
    stops = StopList(db, account.account)
    for index in range(5):
        stops.add(f"+3361000001{index}")
    last = Dashboard(db, account.account).page(size=2, number=999)
    assert last.number == 3 and len(last.stops) == 1 and not last.has_next
