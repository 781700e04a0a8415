"""Filtering through the in-memory index gives what the database gives, change after change."""

import sqlite3
import threading

import pytest

from stoplist.domain.errors import StoplistError
from stoplist.domain.filtering import filter_numbers
from stoplist.domain.imports import import_numbers
from stoplist.domain.stop_index import DatabaseLookup, ListIndex, StopIndexes
from stoplist.domain.stops import StopList
from stoplist.records.events import EventKind, NewEvent, Source
from stoplist.storage.database import Database

MIXED = [
    "+33612345678",
    "+33698765432",
    "06 11 11 11 11",
    "+330622222222",  # rewritten by normalize to +33622222222
    "+33622222222",
    "+3361234",
    "not a number",
    None,
    "+14155550100",
]


def _statuses(stop_list: StopList, numbers: list[object], indexes: StopIndexes | None):
    """Through the index; or, with no index, the slow way: ``normalize``, then ``find``."""
    if indexes is None:
        return [_slow(stop_list, raw) for raw in numbers]
    verdicts = filter_numbers(stop_list, numbers, indexes)
    return [(verdicts.numbers[i], verdicts.stop_ids[i]) for i in range(len(numbers))]


def _slow(stop_list: StopList, raw: object) -> tuple[str | None, int | None]:
    try:
        number = stop_list.normalize(raw)
    except StoplistError:
        return None, None
    stop = stop_list.find(number)
    return number, (stop.id if stop else None)


@pytest.fixture
def writer(database_url):
    """Another connection pool on the same database, as another worker process would have."""
    other = Database(database_url)
    yield other
    other.dispose()


@pytest.mark.parametrize("max_indexed", [3, 2], ids=["held", "looked-up"])
def test_the_index_gives_what_the_database_gives(db, account, max_indexed):
    stops = StopList(db, account.account)
    for number in ("+33612345678", "0611111111", "+33622222222"):
        stops.add(number)
    indexes = StopIndexes(max_indexed=max_indexed)
    assert _statuses(stops, MIXED, indexes) == _statuses(stops, MIXED, None)
    verdicts = filter_numbers(stops, MIXED, indexes)
    assert (verdicts.allowed, verdicts.stopped, verdicts.invalid) == (2, 4, 3)


def test_every_change_from_any_process_is_seen_by_the_next_filter(db, account, writer):
    stops = StopList(db, account.account)
    elsewhere = StopList(writer, account.account)
    indexes = StopIndexes(max_changes=3)
    numbers = ["+33612345678", "+33633333333", "+33644444444", "+33655555555", "+33666666666"]

    def stopped_by_index() -> list[bool]:
        return [stop_id is not None for _, stop_id in _statuses(stops, numbers, indexes)]

    assert stopped_by_index() == [False] * 5

    first = elsewhere.add(numbers[0])
    assert stopped_by_index() == [True, False, False, False, False]
    elsewhere.record(NewEvent(numbers[1], EventKind.OPT_OUT, Source.SMS, event_at=1))
    assert stopped_by_index() == [True, True, False, False, False]
    elsewhere.delete(first.id)
    assert stopped_by_index() == [False, True, False, False, False]
    elsewhere.add(numbers[0])  # back, with a new id
    assert _statuses(stops, numbers, indexes)[0][1] == stops.find(numbers[0]).id
    import_numbers(elsewhere, numbers[2:])  # past max_changes: read again from scratch
    assert stopped_by_index() == [True] * 5
    assert _statuses(stops, numbers, indexes) == _statuses(stops, numbers, None)


def test_one_accounts_index_never_answers_for_another(db, account, other_account):
    stops = StopList(db, account.account)
    others = StopList(db, other_account.account)
    stops.add("+33612345678")
    indexes = StopIndexes(max_accounts=1)
    assert _statuses(stops, ["+33612345678"], indexes)[0][1] is not None
    assert _statuses(others, ["+33612345678"], indexes)[0][1] is None
    assert _statuses(stops, ["+33612345678"], indexes)[0][1] is not None


def test_a_database_restored_from_a_backup_is_read_again(db, account, tmp_path):
    if not db.is_sqlite:
        pytest.skip("restored here with SQLite's backup API")
    stops = StopList(db, account.account)
    indexes = StopIndexes()
    stops.add("+33611111111")
    assert _statuses(stops, ["+33622222222"], indexes)[0][1] is None
    path = db.engine.url.database
    with sqlite3.connect(path) as live, sqlite3.connect(tmp_path / "backup.db") as backup:
        live.backup(backup)
    stops.add("+33622222222")
    assert _statuses(stops, ["+33622222222"], indexes)[0][1] is not None
    with sqlite3.connect(tmp_path / "backup.db") as backup, sqlite3.connect(path) as live:
        backup.backup(live)  # back to before the second STOP, event ids and all
    assert stops.find("+33622222222") is None
    assert _statuses(stops, ["+33622222222"], indexes)[0][1] is None
    stops.add("+33633333333")  # reuses the id of the event the index saw last
    assert _statuses(stops, ["+33622222222", "+33633333333"], indexes) == _statuses(
        stops, ["+33622222222", "+33633333333"], None
    )


@pytest.mark.parametrize("max_indexed", [10_000, 20], ids=["held", "looked-up"])
def test_concurrent_writers_never_leave_the_index_behind(db, account, writer, max_indexed):
    """Filters run while eight writers add numbers; the last filter sees every one."""
    stops = StopList(db, account.account)
    indexes = StopIndexes(max_indexed=max_indexed)
    numbers = [f"+3367{i:07d}" for i in range(160)]
    done = threading.Event()

    def add(part: list[str]) -> None:
        elsewhere = StopList(writer, account.account)
        for number in part:
            elsewhere.add(number)

    def keep_filtering() -> None:
        while not done.is_set():
            filter_numbers(stops, numbers, indexes)

    reader = threading.Thread(target=keep_filtering)
    reader.start()
    threads = [threading.Thread(target=add, args=(numbers[i::8],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    reader.join()
    assert _statuses(stops, numbers, indexes) == _statuses(stops, numbers, None)
    assert all(stop_id is not None for _, stop_id in _statuses(stops, numbers, indexes))


def test_a_list_too_long_to_hold_is_looked_up_in_the_database(db, account, writer):
    """Past ``max_indexed`` stops nothing is held, and every change still shows at once."""
    stops = StopList(db, account.account)
    elsewhere = StopList(writer, account.account)
    numbers = [f"+3366{i:07d}" for i in range(6)]
    import_numbers(stops, numbers[:4])
    indexes = StopIndexes(max_changes=2, max_indexed=3)
    probe = [*numbers, "06 60 00 00 01", "+330660000002", "not a number"]
    assert _statuses(stops, probe, indexes) == _statuses(stops, probe, None)
    assert isinstance(indexes.current(stops), DatabaseLookup)

    first = stops.find(numbers[0])
    assert first is not None
    elsewhere.delete(first.id)
    elsewhere.add(numbers[4])
    assert _statuses(stops, probe, indexes) == _statuses(stops, probe, None)
    assert isinstance(indexes.current(stops), DatabaseLookup)  # two changes: not counted again

    for number in numbers[1:3]:  # past max_changes: counted again, now short enough to hold
        stop = stops.find(number)
        assert stop is not None
        elsewhere.delete(stop.id)
    assert _statuses(stops, probe, indexes) == _statuses(stops, probe, None)
    assert isinstance(indexes.current(stops), ListIndex)
