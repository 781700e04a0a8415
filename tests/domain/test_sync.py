"""Applying an upstream list: idempotent per entry, event time from upstream."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from stoplist.client.models import Stop as UpstreamStop
from stoplist.domain.stops import StopList
from stoplist.domain.sync import apply, upstream_provider
from stoplist.records.events import EventKind, NewEvent, Source

UPSTREAM = "https://api.smspartner.fr/v1"
LAST_WEEK = datetime.now(UTC) - timedelta(days=7)


def entries(*numbers: str) -> list[UpstreamStop]:
    return [
        UpstreamStop(100 + i, number, LAST_WEEK + timedelta(minutes=i))
        for i, number in enumerate(numbers)
    ]


def test_a_rerun_after_a_partial_run_finishes_the_job(db, account):
    stops = StopList(db, account.account)
    upstream = entries("+33611111111", "+33622222222", "+33633333333")
    first = apply(stops, UPSTREAM, upstream[:1])
    assert [c.phone_number for c in first.added] == ["+33611111111"]
    rest = apply(stops, UPSTREAM, upstream)
    assert [c.phone_number for c in rest.added] == ["+33622222222", "+33633333333"]
    assert rest.unchanged == 1
    assert stops.count() == 3
    _, events = stops.history("+33622222222")
    assert [(e.source, e.provider, e.provider_message_id) for e in events] == [
        (Source.SYNC, upstream_provider(UPSTREAM), "101")
    ]
    assert events[0].details == {"upstream": UPSTREAM, "upstreamStopId": 101}


def test_local_stop_takes_the_upstream_creation_time(db, account):
    stops = StopList(db, account.account)
    apply(stops, UPSTREAM, entries("0611111111"))
    stop = stops.find("+33611111111")
    assert stop is not None
    assert abs(stop.created_at - int(LAST_WEEK.timestamp() * 1_000_000)) < 1_000_000


def test_an_opt_in_here_after_the_upstream_stop_wins(db, account):
    stops = StopList(db, account.account)
    stop = stops.add("+33611111111")
    stops.delete(stop.id)  # opted in now, after the upstream's week-old stop
    report = apply(stops, UPSTREAM, entries("+33611111111"))
    assert [c.phone_number for c in report.opted_in_here] == ["+33611111111"]
    assert report.added == []
    assert stops.find("+33611111111") is None
    assert apply(stops, UPSTREAM, entries("+33611111111")).opted_in_here == []


def test_unreadable_upstream_numbers_are_reported_not_applied(db, account):
    stops = StopList(db, account.account)
    report = apply(stops, UPSTREAM, entries("+33611111111", "not a number"))
    assert report.invalid == ["not a number"]
    assert stops.count() == 1


def test_upstreams_are_told_apart_and_keys_stay_out():
    assert upstream_provider(UPSTREAM) == upstream_provider(UPSTREAM + "/")
    assert upstream_provider(UPSTREAM) != upstream_provider("http://127.0.0.1:8080/v1")
    assert len(upstream_provider(UPSTREAM)) <= 32


def test_a_number_back_upstream_after_a_mirrored_removal_is_stopped_again(db, account):
    stops = StopList(db, account.account)
    apply(stops, UPSTREAM, entries("+33611111111"))
    removal = apply(stops, UPSTREAM, [], mirror_deletes=True)
    assert [c.phone_number for c in removal.deleted] == ["+33611111111"]
    assert stops.find("+33611111111") is None
    # Back upstream under a new id; its createdAt (rounded, or from a slower
    # clock) may even read earlier than the removal we recorded.
    back = [UpstreamStop(200, "+33611111111", LAST_WEEK)]
    report = apply(stops, UPSTREAM, back, mirror_deletes=True)
    assert [c.phone_number for c in report.added] == ["+33611111111"]
    assert stops.find("+33611111111") is not None


def test_a_mirrored_removal_keeps_a_stop_made_here_however_busy_the_number(db, account):
    stops = StopList(db, account.account)
    stops.add("+33611111111")  # here, by API, before any sync
    with db.write() as conn:
        for n in range(1_100):
            stops.record_in(
                conn, NewEvent("+33611111111", EventKind.REPLY, Source.SMS, text=f"{n}")
            )
    apply(stops, UPSTREAM, entries("+33611111111"))
    report = apply(stops, UPSTREAM, [], mirror_deletes=True)
    assert report.deleted == []
    assert stops.find("+33611111111") is not None


def test_removals_are_reported_unless_mirrored(db, account):
    stops = StopList(db, account.account)
    apply(stops, UPSTREAM, entries("+33611111111", "+33622222222"))
    report = apply(stops, UPSTREAM, entries("+33611111111"))
    assert [c.phone_number for c in report.removed_upstream] == ["+33622222222"]
    assert report.deleted == []
    assert stops.count() == 2


def test_a_mirrored_removal_keeps_a_stop_made_here_in_the_second_of_a_start(db, account):
    """After the sync, the person sent START at S + 0.3 s, then a STOP that a provider
    dates S arrived at S + 0.5 s: their last word was STOP, made here. The upstream's
    removal must not take it off, whatever the plain event times say."""
    stops = StopList(db, account.account)
    number = "+33611111111"
    apply(stops, UPSTREAM, entries(number))
    second = (datetime.now(UTC) - timedelta(minutes=1)).replace(microsecond=0)
    at = int(second.timestamp()) * 1_000_000

    def sms(kind: EventKind, offset: int, arrived: int, message_id: str) -> NewEvent:
        return NewEvent(
            number,
            kind,
            Source.SMS,
            event_at=at + offset,
            provider="test",
            provider_message_id=message_id,
            received_at=at + arrived,
        )

    stops.record(sms(EventKind.OPT_IN, 300_000, 300_000, "in"))
    stops.record(sms(EventKind.OPT_OUT, 0, 500_000, "out"))
    assert stops.find(number) is not None
    report = apply(stops, UPSTREAM, [], mirror_deletes=True)
    assert [c.phone_number for c in report.kept] == [number]
    assert report.deleted == []
    assert stops.find(number) is not None
