"""``check_reads_for``: the key's account and a number's entry, never staler than a commit.

On both databases, against changes made through another ``Database`` (as
another process or node would make them).
"""

import asyncio

from sqlalchemy import text

from stoplist.app import create_app
from stoplist.domain.accounts import Accounts, hash_secret
from stoplist.domain.stops import StopList
from stoplist.settings import Settings
from stoplist.storage.check_reads import (
    CHECK_APPLICATION_NAME,
    KeyReadRows,
    PostgresCheckReads,
    check_reads_for,
)
from stoplist.storage.database import Database
from tests.support import run_async


def read(reads, key: str, number: str | None):
    return run_async(reads.read(hash_secret(key), number))


def test_the_account_and_the_entry_in_one_read(db):
    created = Accounts(db).create("reads-one")
    stop = StopList(db, created.account).add("+33612340001")
    reads = check_reads_for(db)
    found = read(reads, created.api_key, "+33612340001")
    assert found.account == created.account
    assert found.stored_digest == hash_secret(created.api_key)
    assert (found.stop.id, found.stop.created_at) == (stop.id, stop.created_at)
    assert read(reads, created.api_key, "+33612340002").stop is None
    assert read(reads, created.api_key, None).stop is None
    assert read(reads, "sl_nobody", "+33612340001") is None


def test_every_commit_elsewhere_is_seen_by_the_next_read(db, database_url):
    created = Accounts(db).create("reads-elsewhere")
    reads = check_reads_for(db)
    number = "+33612340003"
    assert read(reads, created.api_key, number).stop is None
    other = Database(database_url)
    try:
        added = StopList(other, created.account).add(number)
        assert read(reads, created.api_key, number).stop.id == added.id
        StopList(other, created.account).delete(added.id)
        assert read(reads, created.api_key, number).stop is None
        Accounts(other).revoke_key(created.account, created.api_key)
        assert read(reads, created.api_key, number) is None
    finally:
        other.dispose()
        run_async(reads.aclose())


def test_a_stop_of_another_account_is_not_seen(db):
    mine = Accounts(db).create("reads-mine")
    theirs = Accounts(db).create("reads-theirs")
    StopList(db, theirs.account).add("+33612340004")
    assert read(check_reads_for(db), mine.api_key, "+33612340004").stop is None


def test_a_connection_the_server_dropped_is_replaced(own_db):
    if own_db.is_sqlite:
        return  # a file has no connection to lose
    created = Accounts(own_db).create("reads-dropped")
    reads = PostgresCheckReads(own_db)

    async def scenario() -> tuple[object, object]:
        before = await reads.read(hash_secret(created.api_key), None)
        with own_db.engine.connect() as conn:  # as a server restart would
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
        after = await reads.read(hash_secret(created.api_key), None)
        await reads.aclose()
        return before, after

    before, after = run_async(scenario())
    assert before is not None and after is not None
    assert before.account == after.account == created.account


def test_the_first_read_after_every_connection_dropped_is_answered(own_db):
    """Both of the reads' connections open, then the server drops them all (a restart)."""
    if own_db.is_sqlite:
        return  # a file has no connection to lose
    created = Accounts(own_db).create("reads-all-dropped")
    key = hash_secret(created.api_key)
    reads = PostgresCheckReads(own_db)

    def opened() -> int:
        with own_db.engine.connect() as conn:
            return conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND application_name = :name"
                ),
                {"name": CHECK_APPLICATION_NAME},
            ).scalar_one()

    async def scenario() -> tuple[int, object]:
        burst = []
        while opened() < 2 and len(burst) < 500:  # reads asked while one is in flight
            burst.append(asyncio.ensure_future(reads.read(key, None)))
            await asyncio.sleep(0.001)
        await asyncio.gather(*burst)
        both = opened()
        with own_db.engine.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
        after = await reads.read(key, None)
        await reads.aclose()
        return both, after

    both, after = run_async(scenario())
    assert both == 2
    assert after is not None and after.account == created.account


def test_an_account_is_made_once_per_row_and_again_when_the_row_changes(db):
    created = Accounts(db).create("reads-rows")
    reads = check_reads_for(db)
    first = read(reads, created.api_key, None).account
    assert read(reads, created.api_key, "+33612340005").account is first
    Accounts(db).update_settings(created.account, timezone="America/New_York")
    moved = read(reads, created.api_key, None).account
    assert moved.timezone == "America/New_York" and moved is not first
    rows = KeyReadRows(db)
    row = (*_account_row(db, created.account.id), None, None, None)
    assert rows.key_read(row, "+33612340005").stop is None  # no entry: no stop
    assert rows.key_read(row, None).account is rows.key_read(row, None).account


def _account_row(db, account_id: int) -> tuple:
    with db.engine.connect() as conn:
        return tuple(
            conn.execute(
                text(
                    "SELECT a.id, a.name, a.default_region, a.timezone, a.inbound_token, "
                    "a.opt_in_keywords_enabled, a.created_at, k.key_hash "
                    "FROM accounts a JOIN api_keys k ON k.account_id = a.id WHERE a.id = :id"
                ),
                {"id": account_id},
            ).one()
        )


def test_a_batch_of_several_keys_and_numbers_answers_each_request(db):
    """Gathered into one statement on PostgreSQL: every request gets its own key's answer."""
    first = Accounts(db).create("reads-batch-1")
    second = Accounts(db).create("reads-batch-2")
    _, revoked = Accounts(db).create_key(second.account)
    Accounts(db).revoke_key(second.account, revoked)
    mine = StopList(db, first.account).add("+33612340006")
    theirs = StopList(db, second.account).add("+33612340007")
    reads = check_reads_for(db)
    asked = [
        (first.api_key, "+33612340006"),
        (first.api_key, "+33612340007"),
        (second.api_key, "+33612340007"),
        (second.api_key, "+33612340006"),
        (first.api_key, None),
        (first.api_key, "+33612340006"),
        (revoked, "+33612340007"),
        ("sl_nobody", "+33612340006"),
    ]

    async def all_at_once() -> list:
        found = await asyncio.gather(*(reads.read(hash_secret(k), n) for k, n in asked))
        await reads.aclose()
        return found

    found = run_async(all_at_once())
    seen = [None if f is None else (f.account.id, f.stop and f.stop.id) for f in found]
    assert seen == [
        (first.account.id, mine.id),
        (first.account.id, None),
        (second.account.id, theirs.id),
        (second.account.id, None),
        (first.account.id, None),
        (first.account.id, mine.id),
        None,
        None,
    ]
    assert found[0].stop == mine and found[2].stop == theirs
    assert found[0].stored_digest == hash_secret(first.api_key)


def test_the_server_holds_as_many_check_connections_as_its_settings_say(own_db):
    """``STOPLIST_CHECK_CONNECTIONS`` and the pool sizes reach the server's database."""
    if own_db.is_sqlite:
        return  # one connection to a file, whatever the setting
    created = Accounts(own_db).create("reads-connections")
    settings = Settings(database_url=own_db.url, pool_size=3, pool_overflow=1, check_connections=1)
    app = create_app(settings=settings)
    assert app.state.db.engine.pool.size() == 3
    reads = app.state.checker.reads

    async def busy() -> int:
        digest = hash_secret(created.api_key)
        first = asyncio.gather(*(reads.read(digest, f"+336123400{n:02d}") for n in range(30)))
        for _ in range(5):  # the first batch is on its way: the next could take another connection
            await asyncio.sleep(0)
        found = [
            *await asyncio.gather(*(reads.read(digest, f"+336123401{n:02d}") for n in range(30))),
            *await first,
        ]
        assert all(f is not None for f in found)
        with own_db.engine.connect() as conn:
            held = conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND application_name = :name"
                ),
                {"name": CHECK_APPLICATION_NAME},
            ).scalar_one()
        await reads.aclose()
        return held

    try:
        assert run_async(busy()) == 1
    finally:
        app.state.db.dispose()
