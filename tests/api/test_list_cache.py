"""Whole lists are sent from a kept copy on SQLite, and the copy is never stale."""

from __future__ import annotations

import sqlite3
import stat
import tracemalloc
from pathlib import Path

import httpx
import pytest

from stoplist.api import list_cache
from stoplist.api.kept_lists import PREPARE_MIN_ROWS
from stoplist.api.list_cache import MIN_ROWS, ListCache, RenderingKey
from stoplist.domain.accounts import Accounts
from stoplist.domain.clock import LocalTimeFormatter
from stoplist.domain.imports import import_numbers
from stoplist.domain.stops import StopList
from stoplist.records.events import EventKind, NewEvent, Source
from stoplist.storage.database import Database
from tests.conftest import LIST_CACHE_ENV
from tests.support import Server, run_cli

LONG = [f"+3361{i:07d}" for i in range(MIN_ROWS)]


def _import(http: httpx.Client, api_key: str, numbers: list[str]) -> None:
    answer = http.post(
        "/v1/stop-sms/import",
        params={"apiKey": api_key},
        content="\n".join(numbers).encode(),
        timeout=120,
    )
    assert answer.json()["added"] == len(numbers)


def _whole(http: httpx.Client, api_key: str, fmt: str = "json") -> httpx.Response:
    answer = http.get("/v1/stop-sms/list", params={"apiKey": api_key, "_format": fmt})
    assert answer.status_code == 200
    return answer


def _kept(server: Server, account_id: int) -> list[str]:
    directory = server.list_cache
    if not directory.exists():
        return []
    return sorted(path.name for path in directory.glob(f"list-{account_id}-*") if not path.suffix)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_long_list_is_the_same_answer_from_its_kept_copy(http, account, server, fmt):
    _import(http, account.api_key, LONG)
    first = _whole(http, account.api_key, fmt)
    again = _whole(http, account.api_key, fmt)
    assert again.content == first.content
    assert again.headers["content-type"] == first.headers["content-type"]
    if fmt == "json":
        assert first.json()["nbData"] == MIN_ROWS
    assert "content-length" not in first.headers  # streamed from the database
    assert again.headers["content-length"] == str(len(first.content))  # sent from the copy
    assert len(_kept(server, account.account.id)) == 1
    assert stat.S_IMODE(server.list_cache.stat().st_mode) == 0o700  # phone numbers: owner only


def test_every_change_shows_in_the_next_whole_list(http, account):
    _import(http, account.api_key, LONG)
    _whole(http, account.api_key)
    _whole(http, account.api_key, "xml")

    added = http.post(
        "/v1/stop-sms/add", json={"apiKey": account.api_key, "phoneNumber": "+33699999999"}
    ).json()["stopId"]
    listed = _whole(http, account.api_key).json()
    assert listed["nbData"] == MIN_ROWS + 1
    assert listed["data"][-1]["phoneNumber"] == "+33699999999"
    assert "+33699999999" in _whole(http, account.api_key, "xml").text

    first_id = listed["data"][0]["id"]
    http.post("/v1/stop-sms/delete", json={"apiKey": account.api_key, "id": first_id})
    listed = _whole(http, account.api_key).json()
    assert listed["nbData"] == MIN_ROWS
    assert listed["data"][0]["id"] != first_id
    assert listed["data"][-1]["id"] == added

    _import(http, account.api_key, ["+33688888888"])
    listed = _whole(http, account.api_key).json()
    assert listed["nbData"] == MIN_ROWS + 1
    assert listed["data"][-1]["phoneNumber"] == "+33688888888"


def test_a_copy_belongs_to_its_account(http, account, other_account):
    _import(http, account.api_key, LONG)
    _import(http, other_account.api_key, LONG[:10])
    _whole(http, account.api_key)
    assert _whole(http, other_account.api_key).json()["nbData"] == 10
    assert _whole(http, account.api_key).json()["nbData"] == MIN_ROWS


def test_pages_bounds_and_short_lists_are_not_kept(http, account, server):
    _import(http, account.api_key, LONG[:100])
    _whole(http, account.api_key)
    assert _kept(server, account.account.id) == []
    _import(http, account.api_key, LONG[100:])
    for extra in ({"limit": 10}, {"after": 5}, {"since": "2000-01-01"}):
        answer = http.get("/v1/stop-sms/list", params={"apiKey": account.api_key, **extra})
        assert answer.status_code == 200
    assert _kept(server, account.account.id) == []


def test_only_the_newest_copy_is_kept(http, account, server):
    _import(http, account.api_key, LONG)
    _whole(http, account.api_key)
    before = _kept(server, account.account.id)
    http.post("/v1/stop-sms/add", json={"apiKey": account.api_key, "phoneNumber": "+33699999998"})
    _whole(http, account.api_key)
    after = _kept(server, account.account.id)
    assert len(before) == len(after) == 1
    assert before != after


@pytest.mark.parametrize("way", ["api", "cli"])
def test_the_first_listing_after_a_long_import_is_sent_from_a_copy(
    http, account, server, uncached, tmp_path, way
):
    """The copy is made before the import answers: a listing asked at once is sent from it.

    ``stoplist import`` makes it in the server's directory, found as the server
    finds it (``STOPLIST_LIST_CACHE_DIR``, else beside the SQLite file).
    """
    numbers = [f"+3367{i:07d}" for i in range(PREPARE_MIN_ROWS)]
    if way == "api":
        _import(http, account.api_key, numbers)
    else:
        source = tmp_path / "numbers.csv"
        source.write_text("\n".join(numbers) + "\n")
        configured = {name: value for name, value in server.env.items() if name == LIST_CACHE_ENV}
        run_cli(
            "import", str(source), "--account", str(account.account.id),
            "--database", server.database_url, env=configured,
        )  # fmt: skip
    assert len(_kept(server, account.account.id)) == 1
    first = _whole(http, account.api_key)
    assert first.headers["content-length"] == str(len(first.content))  # sent from the copy
    rendered = httpx.get(
        f"{uncached.base_url}/v1/stop-sms/list", params={"apiKey": account.api_key}, timeout=120
    )
    assert "content-length" not in rendered.headers  # streamed from the database
    assert first.content == rendered.content
    assert first.json()["nbData"] == PREPARE_MIN_ROWS


@pytest.fixture(scope="session")
def uncached(database_url, tmp_path_factory):
    """A second server on the same database that renders every list from the database."""
    log_path = tmp_path_factory.mktemp("uncached") / "server.log"
    running = Server(database_url, log_path, env={"STOPLIST_LIST_CACHE_DIR": "off"}).start()
    yield running
    running.stop()


def _same_as_rendered(http: httpx.Client, uncached: Server, api_key: str) -> None:
    """Both formats from the kept copy (patched, never re-rendered) equal a fresh rendering."""
    for fmt in ("json", "xml"):
        kept = _whole(http, api_key, fmt)
        assert "content-length" in kept.headers, "rendered again instead of patched"
        rendered = httpx.get(
            f"{uncached.base_url}/v1/stop-sms/list",
            params={"apiKey": api_key, "_format": fmt},
            timeout=120,
        )
        assert kept.content == rendered.content


def test_a_kept_copy_is_patched_change_after_change(http, account, db, uncached):
    key = account.api_key
    _import(http, key, LONG)
    _whole(http, key)
    _whole(http, key, "xml")
    listed = _whole(http, key).json()["data"]
    stops = StopList(db, account.account)

    def add(number: str) -> int:
        answer = http.post("/v1/stop-sms/add", json={"apiKey": key, "phoneNumber": number})
        return answer.json()["stopId"]

    def delete(stop_id: int) -> None:
        http.post("/v1/stop-sms/delete", json={"apiKey": key, "id": stop_id})

    add("+33699999999")  # a new last entry
    _same_as_rendered(http, uncached, key)
    delete(listed[0]["id"])  # the first entry, then one in the middle, then the last
    delete(listed[5000]["id"])
    delete(listed[-1]["id"])
    _same_as_rendered(http, uncached, key)
    add(listed[5000]["phoneNumber"])  # back at the end, with a new id
    _same_as_rendered(http, uncached, key)
    earlier = NewEvent(listed[7000]["phoneNumber"], EventKind.OPT_OUT, Source.SMS, event_at=10**15)
    stops.record(earlier)  # an older STOP arriving late moves createdAt back
    _same_as_rendered(http, uncached, key)
    _import(http, key, [f"+3362{i:07d}" for i in range(12_000)])  # more than a segment
    _same_as_rendered(http, uncached, key)
    # Many scattered changes, in every segment of the first 10,000 entries: those
    # segments are rendered again, still right. Every 49th entry is 200 deletes,
    # as many segments touched as every 7th was, for a seventh of the requests.
    for entry in listed[100:9900:49]:
        delete(entry["id"])
    for fmt in ("json", "xml"):
        rendered = httpx.get(
            f"{uncached.base_url}/v1/stop-sms/list",
            params={"apiKey": key, "_format": fmt},
            timeout=120,
        )
        assert _whole(http, key, fmt).content == rendered.content
    _same_as_rendered(http, uncached, key)  # and kept again


def _keep(cache: ListCache, stops: StopList) -> RenderingKey:
    """Render the whole list through ``cache`` as the list endpoint does; returns its key."""
    with stops.snapshot(with_value=True) as snapshot:
        version = snapshot.version.number
        key = RenderingKey(stops.account.id, "json", stops.account.timezone, version)
        answer = cache.keep(snapshot, key, LocalTimeFormatter(stops.account.zone))
        assert answer is not None
        b"".join(answer)
    return key


def test_a_copy_never_answers_for_another_database(tmp_path):
    """Two databases, one after the other at one path, share the copies' directory."""
    cache = ListCache(tmp_path / "lists")
    first, second = Database(f"sqlite:///{tmp_path}/a.db"), Database(f"sqlite:///{tmp_path}/b.db")
    first.migrate()
    second.migrate()
    try:
        old = StopList(first, Accounts(first).create("shop").account)
        import_numbers(old, LONG)
        kept = _keep(cache, old)
        assert cache.open(kept) is not None
        new = StopList(second, Accounts(second).create("shop").account)
        assert new.account.id == old.account.id
        import_numbers(new, [f"+3362{i:07d}" for i in range(MIN_ROWS)])
        key = RenderingKey(new.account.id, "json", new.account.timezone, new.version())
        assert cache.open(key) is None
        assert cache.refresh(new, key, LocalTimeFormatter(new.account.zone)) is None
    finally:
        first.dispose()
        second.dispose()


def test_a_copy_is_not_patched_after_a_restore(tmp_path):
    """After a restore, events the copy had seen are gone; patching from it would be wrong."""
    cache = ListCache(tmp_path / "lists")
    path = tmp_path / "a.db"
    db = Database(f"sqlite:///{path}")
    db.migrate()
    try:
        stops = StopList(db, Accounts(db).create("shop").account)
        import_numbers(stops, LONG)
        with sqlite3.connect(path) as live, sqlite3.connect(tmp_path / "backup.db") as backup:
            live.backup(backup)
        stops.add("+33699999999")
        _keep(cache, stops)  # a copy that lists +33699999999
        with sqlite3.connect(tmp_path / "backup.db") as backup, sqlite3.connect(path) as live:
            backup.backup(live)
        stops.add("+33688888888")  # the same event id as +33699999999 had
        key = RenderingKey(stops.account.id, "json", stops.account.timezone, stops.version())
        assert cache.refresh(stops, key, LocalTimeFormatter(stops.account.zone)) is None
    finally:
        db.dispose()


def test_a_new_time_zone_replaces_the_copies_in_the_old_one(tmp_path):
    cache = ListCache(tmp_path / "lists")
    db = Database(f"sqlite:///{tmp_path}/a.db")
    db.migrate()
    try:
        accounts = Accounts(db)
        stops = StopList(db, accounts.create("shop").account)
        import_numbers(stops, LONG)
        paris = _keep(cache, stops)
        moved = accounts.update_settings(stops.account, timezone="America/New_York")
        new_york = _keep(cache, StopList(db, moved))
        assert paris.family != new_york.family
        assert cache.open(paris) is None
        assert cache.open(new_york) is not None
        assert sorted(path.name for path in (tmp_path / "lists").iterdir()) == [
            new_york.filename,
            f"{new_york.filename}.meta",
            f"{new_york.filename}.rows",
        ]
    finally:
        db.dispose()


PATCHED_LIST = 300_000


def _pairs(directory: Path, key: RenderingKey) -> list[tuple[int, int]]:
    data = (directory / f"{key.filename}.rows").read_bytes()
    values = memoryview(data).cast("q")
    return sorted(zip(values[0::2], values[1::2], strict=True))


def test_a_patch_holds_a_slice_of_the_pairs_never_all_of_them(db, account, tmp_path, monkeypatch):
    """Patch after patch, the same bytes as a fresh rendering, in memory much smaller
    than the list's ``(number, id)`` pairs (16 bytes a stop), read a slice at a time."""
    monkeypatch.setattr(list_cache, "_PAIRS_PER_READ", 1000)  # many slices, and their edges
    cache, fresh = ListCache(tmp_path / "kept"), ListCache(tmp_path / "fresh")
    stops = StopList(db, account.account)
    numbers = [f"+3365{i:07d}" for i in range(PATCHED_LIST)]
    import_numbers(stops, numbers)
    _keep(cache, stops)
    for change in ("delete", "add"):
        if change == "delete":  # on both sides of a slice's edge, and the last entry
            for number in (*numbers[999:1002], numbers[-1]):
                stop = stops.find(number)
                assert stop is not None
                stops.delete(stop.id)
        else:
            stops.add("+33699999999")
            stops.add(numbers[1000])  # back, with a new id
        key = RenderingKey(stops.account.id, "json", stops.account.timezone, stops.version())
        tracemalloc.start()
        try:
            patched = cache.refresh(stops, key, LocalTimeFormatter(stops.account.zone))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert patched is not None, "rendered again instead of patched"
        with patched[0] as file:
            body = file.read()
        assert _keep(fresh, stops) == key
        assert body == (tmp_path / "fresh" / key.filename).read_bytes()
        assert _pairs(tmp_path / "kept", key) == _pairs(tmp_path / "fresh", key)
        if change == "add":  # the second patch, past first uses' allocations, one segment
            # Less than the pairs themselves (4.8 MB here): what a patch holds
            # is a slice of them and the segment it renders again (about 2 MB
            # for 5,000 entries), whatever the list's length.
            assert peak < 16 * PATCHED_LIST, peak
