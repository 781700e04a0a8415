"""``Database.fetch_one``: per-request reads never lag behind a commit."""

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import text

from stoplist.storage.database import Database

SQL = "SELECT value FROM server_settings WHERE name = ?"


def _set(db: Database, value: str) -> None:
    with db.write() as conn:
        conn.execute(text("DELETE FROM server_settings WHERE name = 'point-read'"))
        conn.execute(
            text("INSERT INTO server_settings (name, value) VALUES ('point-read', :v)"),
            {"v": value},
        )


def test_a_commit_is_seen_by_the_next_read(db):
    _set(db, "first")
    assert db.fetch_one(SQL, ("point-read",)) == ("first",)
    assert db.fetch_one(SQL, ("point-read",)) == ("first",)
    _set(db, "second")  # another connection of this process
    assert db.fetch_one(SQL, ("point-read",)) == ("second",)


def test_a_commit_from_another_process_is_seen(db, database_url):
    _set(db, "mine")
    assert db.fetch_one(SQL, ("point-read",)) == ("mine",)
    other = Database(database_url)
    try:
        _set(other, "theirs")
    finally:
        other.dispose()
    assert db.fetch_one(SQL, ("point-read",)) == ("theirs",)


def test_each_thread_reads_for_itself(db):
    _set(db, "shared")
    with ThreadPoolExecutor(max_workers=4) as pool:
        rows = list(pool.map(lambda _: db.fetch_one(SQL, ("point-read",)), range(8)))
    assert rows == [("shared",)] * 8
    assert db.fetch_one(SQL, ("absent",)) is None


def test_a_connection_the_server_dropped_is_replaced(fresh_database_url):
    if fresh_database_url.startswith("sqlite"):
        return  # a file has no connection to lose
    db = Database(fresh_database_url)  # of its own: no one else's connections go
    try:
        db.migrate()
        _set(db, "before")
        assert db.fetch_one(SQL, ("point-read",)) == ("before",)
        with db.engine.connect() as conn:  # as a server restart would
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
        _set(db, "after")
        assert db.fetch_one(SQL, ("point-read",)) == ("after",)
    finally:
        db.dispose()
