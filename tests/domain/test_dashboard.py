"""What the dashboard counts and lists, and who may open it."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from stoplist.domain import clock
from stoplist.domain.dashboard import Dashboard, Origin
from stoplist.domain.dashboard_access import (
    MAX_FAILURES,
    DashboardAccess,
    PasswordRejected,
    SignInFailed,
    SignInThrottled,
    hash_password,
    verify_password,
)
from stoplist.domain.events import EventKind, NewEvent, Source
from stoplist.domain.stops import StopList

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


def test_passwords_are_salted_scrypt_hashes():
    first, second = hash_password("correct horse battery"), hash_password("correct horse battery")
    assert first != second and first.startswith("scrypt$")
    assert "correct horse" not in first
    assert verify_password("correct horse battery", first)
    assert not verify_password("correct horse batterY", first)
    assert not verify_password("anything", "not a hash")


def test_sign_in_by_password_and_by_key(db, account):
    access = DashboardAccess(db)
    name = account.account.name
    with pytest.raises(SignInFailed):
        access.sign_in_with_password(name, "whatever-password")  # none set yet
    with pytest.raises(PasswordRejected):
        access.set_password(account.account, "short")
    access.set_password(account.account, "a long enough password")
    grant = access.sign_in_with_password(name, "a long enough password")
    assert grant.account_id == account.account.id
    assert access.resume(grant) == account.account
    with pytest.raises(SignInFailed):
        access.sign_in_with_password(name, "a wrong password!")
    with pytest.raises(SignInFailed):
        access.sign_in_with_password("no such account", "a long enough password")

    # A new password ends the sessions opened with the old one.
    access.set_password(account.account, "another long password")
    assert access.resume(grant) is None

    key_grant = access.sign_in_with_key(account.api_key)
    assert access.resume(key_grant) == account.account
    with pytest.raises(SignInFailed):
        access.sign_in_with_key(account.api_key + "x")
    access.accounts.revoke_key(account.account, account.api_key)
    assert access.resume(key_grant) is None
    with pytest.raises(SignInFailed):
        access.sign_in_with_key(account.api_key)


def test_the_session_secret_is_made_once_and_shared(db):
    first = DashboardAccess(db).secret_key()
    assert len(first) >= 32 and DashboardAccess(db).secret_key() == first
    assert DashboardAccess(db).secret_key("from-the-settings") == "from-the-settings"


def test_activity_window_follows_the_account_zone(db, account):
    now = clock.now_us()
    days = Dashboard(db, account.account).activity(days=7, now=now)
    today = clock.from_us(now, PARIS).date()
    assert [d.day for d in days] == [today - timedelta(days=i) for i in range(6, -1, -1)]


def test_repeated_wrong_passwords_pause_password_sign_in(db, account):
    access = DashboardAccess(db)
    access.set_password(account.account, "the right password")
    name = account.account.name
    for _ in range(MAX_FAILURES):
        with pytest.raises(SignInFailed) as failed:
            access.sign_in_with_password(name, "a wrong password")
        assert not isinstance(failed.value, SignInThrottled)
    with pytest.raises(SignInThrottled):
        access.sign_in_with_password(name.upper(), "the right password")
    # Keys still open the dashboard, and other accounts are not affected.
    assert access.sign_in_with_key(account.api_key).account_id == account.account.id
