"""What a stop is: one entry per number, decided by the latest event time."""

import gc
import sys
import time
from datetime import UTC, datetime

import pytest

from stoplist.domain import clock
from stoplist.domain.clock import LocalTimeFormatter, to_us, zone
from stoplist.domain.erasure import erase
from stoplist.domain.errors import AlreadyStopped, StopIdRequired, StopNotFound
from stoplist.domain.imports import import_numbers
from stoplist.domain.stops import StopList, parse_stop_id
from stoplist.records.events import EventKind, NewEvent, Source


def at(text: str) -> int:
    return to_us(datetime.fromisoformat(text).replace(tzinfo=UTC))


def sms(
    number: str, kind: EventKind, when: str, message_id: str, arrived: str | None = None
) -> NewEvent:
    """An SMS sent ``when``, reaching us ``arrived`` (default: as it is recorded)."""
    return NewEvent(
        number,
        kind,
        Source.SMS,
        event_at=at(when),
        provider="test",
        provider_message_id=message_id,
        received_at=None if arrived is None else at(arrived),
    )


def test_add_twice_names_the_existing_entry(db, account):
    stops = StopList(db, account.account)
    first = stops.add("06 12 34 56 78")
    with pytest.raises(AlreadyStopped) as raised:
        stops.add("+33612345678")
    assert raised.value.stop_id == first.id


def test_an_opt_in_sent_before_an_opt_out_never_wins(db, account):
    stops = StopList(db, account.account)
    number = "+33611111111"
    stops.record(sms(number, EventKind.OPT_OUT, "2026-01-02 10:00:00", "out"))
    late = stops.record(sms(number, EventKind.OPT_IN, "2026-01-02 09:00:00", "in"))
    assert not late.changed
    assert stops.find(number) is not None


def test_late_opt_out_sets_created_at_to_when_it_was_sent(db, account):
    stops = StopList(db, account.account)
    number = "+33622222222"
    stops.record(sms(number, EventKind.OPT_OUT, "2026-01-02 10:00:00", "a"))
    stops.record(sms(number, EventKind.OPT_OUT, "2026-01-02 08:00:00", "b"))
    assert stops.find(number).created_at == at("2026-01-02 08:00:00")


def test_a_stop_dated_to_the_second_outranks_a_start_within_that_second(db, account):
    """START recorded at 10:00:00.3, then the STOP a provider dates 10:00:00 (sent
    somewhere in that second): the person's last word was STOP."""
    stops = StopList(db, account.account)
    number = "+33612121212"
    stops.record(sms(number, EventKind.OPT_IN, "2026-01-02 10:00:00.300000", "in"))
    stop = stops.record(sms(number, EventKind.OPT_OUT, "2026-01-02 10:00:00", "out"))
    assert stop.changed
    assert stops.find(number).created_at == at("2026-01-02 10:00:00")


def test_a_start_dated_to_the_second_does_not_lift_a_stop_within_that_second(db, account):
    stops = StopList(db, account.account)
    number = "+33613131313"
    stops.record(sms(number, EventKind.OPT_OUT, "2026-01-02 10:00:00.700000", "out"))
    start = stops.record(sms(number, EventKind.OPT_IN, "2026-01-02 10:00:00", "in"))
    assert not start.changed
    assert stops.find(number) is not None


def test_a_start_in_the_next_second_lifts_a_stop_dated_to_the_second(db, account):
    stops = StopList(db, account.account)
    number = "+33614141414"
    stops.record(sms(number, EventKind.OPT_OUT, "2026-01-02 10:00:00", "out"))
    assert stops.record(sms(number, EventKind.OPT_IN, "2026-01-02 10:00:01", "in")).changed
    assert stops.find(number) is None


def test_writes_timed_to_the_microsecond_keep_their_order_within_a_second(db, account):
    stops = StopList(db, account.account)
    number = "+33615151515"
    stops.record(sms(number, EventKind.OPT_OUT, "2026-01-02 10:00:00.100000", "out"))
    assert stops.record(sms(number, EventKind.OPT_IN, "2026-01-02 10:00:00.200000", "in")).changed
    assert stops.find(number) is None


def test_the_entry_starts_with_a_stop_dated_to_the_second_before_a_start_in_it(db, account):
    """STOP dated 10:00:00, START at 10:00:00.5, STOP at 10:00:05: the START ranks
    before the first STOP, so the entry still starts at 10:00:00."""
    stops = StopList(db, account.account)
    number = "+33616161616"
    stops.record(sms(number, EventKind.OPT_OUT, "2026-01-02 10:00:05", "late"))
    stops.record(sms(number, EventKind.OPT_IN, "2026-01-02 10:00:00.500000", "in"))
    stops.record(sms(number, EventKind.OPT_OUT, "2026-01-02 10:00:00", "early"))
    assert stops.find(number).created_at == at("2026-01-02 10:00:00")


def test_a_stop_dated_to_the_second_ranks_no_later_than_it_arrived(db, account):
    """The STOP dated 10:00:00 reached us at 10:00:00.010; the START came at .320, after
    it: the person's last word was START, as the arrivals tell."""
    stops = StopList(db, account.account)
    number = "+33617171717"
    stops.record(
        sms(number, EventKind.OPT_OUT, "2026-01-02 10:00:00", "out", "2026-01-02 10:00:00.010")
    )
    start = sms(
        number, EventKind.OPT_IN, "2026-01-02 10:00:00.320", "in", "2026-01-02 10:00:00.320"
    )
    assert stops.record(start).changed
    assert stops.find(number) is None


def test_a_stop_dated_to_the_second_arriving_after_a_start_in_it_still_wins(db, account):
    stops = StopList(db, account.account)
    number = "+33618181818"
    stops.record(
        sms(number, EventKind.OPT_IN, "2026-01-02 10:00:00.300", "in", "2026-01-02 10:00:00.300")
    )
    stop = sms(number, EventKind.OPT_OUT, "2026-01-02 10:00:00", "out", "2026-01-02 10:00:00.800")
    assert stops.record(stop).changed
    assert stops.find(number).created_at == at("2026-01-02 10:00:00")


def test_a_start_after_an_erasure_lifts_it_only_if_it_outranks_every_stop(db, account):
    """Erased at E, a few ms into second S; then a STOP dated S arrives at E + 0.3 s, and
    a START sent at E + 0.1 s arrives after it. The STOP ranks at its arrival, after the
    START: the number stays erased and suppressed, as it would stay stopped unerased."""
    stops = StopList(db, account.account)
    number = "+33619191919"
    stops.add(number)
    while clock.now_us() % clock.MICROS > 300_000:
        time.sleep(0.05)  # start early in a second, so that all of this falls inside it
    erased_at = erase(stops, number).erased_at
    second = erased_at - erased_at % clock.MICROS
    stops.record(
        NewEvent(
            number,
            EventKind.OPT_OUT,
            Source.SMS,
            event_at=second,
            provider="test",
            provider_message_id="out",
            received_at=erased_at + 300_000,
        )
    )
    start = stops.record(
        NewEvent(
            number,
            EventKind.OPT_IN,
            Source.SMS,
            event_at=erased_at + 100_000,
            provider="test",
            provider_message_id="in",
            received_at=erased_at + 400_000,
        )
    )
    assert not start.changed
    assert stops.erased(number) is not None


def test_duplicate_provider_message_is_recorded_once(db, account):
    stops = StopList(db, account.account)
    event = sms("+33633333333", EventKind.OPT_OUT, "2026-01-02 10:00:00", "same")
    first, again = stops.record(event), stops.record(event)
    assert again.duplicate and again.event_id == first.event_id
    _, history = stops.history("+33633333333")
    assert len(history) == 1


def test_delete_keeps_the_history(db, account):
    stops = StopList(db, account.account)
    stop = stops.add("0644444444")
    stops.delete(stop.id)
    assert stops.find("0644444444") is None
    _, history = stops.history("0644444444")
    assert [event.kind for event in history] == [EventKind.OPT_IN, EventKind.OPT_OUT]


def test_no_account_can_touch_another_accounts_entry(db, account, other_account):
    mine = StopList(db, account.account).add("0655555555")
    theirs = StopList(db, other_account.account)
    with pytest.raises(StopNotFound):
        theirs.delete(mine.id)
    assert theirs.find("0655555555") is None
    assert StopList(db, account.account).find("0655555555") is not None


@pytest.mark.parametrize("raw", ["abc", "-1", "0", "1.5", "١٢", True, 2**64, " "])
def test_ids_that_are_not_ids(raw):
    with pytest.raises(StopIdRequired if raw == " " else StopNotFound):
        parse_stop_id(raw)


def test_local_time_follows_daylight_saving():
    paris = LocalTimeFormatter(zone("Europe/Paris"))
    assert paris(at("2015-07-20 08:19:45")) == "2015-07-20 10:19:45"
    assert paris(at("2015-01-20 08:19:45")) == "2015-01-20 09:19:45"
    assert paris(at("2026-03-29 00:59:59")) == "2026-03-29 01:59:59"
    assert paris(at("2026-03-29 01:00:00")) == "2026-03-29 03:00:00"


def test_the_list_version_moves_with_every_change_to_the_list(db, account, other_account):
    stops = StopList(db, account.account)
    seen = [stops.version()]

    def moved() -> bool:
        seen.append(stops.version())
        return seen[-1] != seen[-2]

    number = "+33655555555"
    stop = stops.add(number)
    assert moved()
    stops.record(sms(number, EventKind.OPT_OUT, "2020-01-01 08:00:00", "earlier"))
    assert moved()  # createdAt went back in time
    stops.record(sms(number, EventKind.OPT_OUT, "2030-01-01 08:00:00", "later"))
    assert not moved()  # the entry is unchanged
    stops.find(number)
    assert not moved()
    stops.delete(stop.id)
    assert moved()
    StopList(db, other_account.account).add(number)
    assert not moved()  # another account's list
    import_numbers(stops, ["+33666666666", "+33677777777"])
    assert moved()


def test_a_snapshot_given_up_midway_closes_its_cursor_before_the_connection_goes_back(db, account):
    """A failure while a list streams keeps the snapshot alive in its traceback.

    Its cursor must still be closed as the block ends: closed later by the
    garbage collector, it would act on a connection lent to the next reader.
    """
    stops = StopList(db, account.account)
    numbers = [f"+336{i:08d}" for i in range(50)]
    import_numbers(stops, numbers)
    failures: list[BaseException] = []
    unraisable: list[object] = []
    previous_hook, sys.unraisablehook = sys.unraisablehook, unraisable.append
    try:
        for _ in range(3):
            try:
                with stops.snapshot() as snapshot:
                    next(snapshot.batches)
                    raise LookupError("an entry that cannot be rendered")
            except LookupError as failure:
                failures.append(failure)  # its frames live on, as in a logged traceback
            with stops.snapshot() as next_reader:
                gc.collect()
                assert sum(len(batch) for batch in next_reader.batches) == len(numbers)
        gc.collect()
    finally:
        sys.unraisablehook = previous_hook
    assert unraisable == []
