"""A full disk: listings stay whole, writes answer 503 (code 93), nothing acknowledged is lost.

The database, the kept list copies and the server's temporary files all sit
on one small tmpfs (on PostgreSQL, a tablespace of the test's database).
The disk is filled while the server runs, then freed: the server must
recover without a restart.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from stoplist.domain.accounts import Accounts
from stoplist.domain.imports import import_numbers
from stoplist.domain.stops import StopList
from stoplist.settings import env_name
from stoplist.storage.database import Database
from tests.faults.conftest import SmallDisk
from tests.support import POSTGRES_ADMIN_URL, Server, drop_postgres_database

# While the tablespace is full, another test's backend that writes out one of this
# database's pages (to free a shared buffer) fails with DiskFull: nothing else may run.
pytestmark = pytest.mark.alone

LIST = "/v1/stop-sms/list"
ADD = "/v1/stop-sms/add"
IMPORT = "/v1/stop-sms/import"
STOPS = 12_000  # over list_cache.MIN_ROWS, so whole listings are kept
FULL_MESSAGES = {
    "fr": "Le stockage est plein : la demande n'a pas été enregistrée, réessayez plus tard",
    "en": "Storage is full: the request was not recorded, try again later",
}


@pytest.fixture
def disk_database_url(database_url: str, small_disk: SmallDisk) -> Iterator[str]:
    """A new database whose files live on the small disk."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{small_disk.path / 'stoplist.db'}"
        return
    location = small_disk.path / "pg"
    location.mkdir()
    shutil.chown(location, "postgres", "postgres")
    name = f"stoplist_full_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"CREATE TABLESPACE {name} LOCATION '{location}'")
        conn.execute(f'CREATE DATABASE "{name}" TABLESPACE {name}')
    try:
        yield f"{POSTGRES_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        drop_postgres_database(name)
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f"DROP TABLESPACE IF EXISTS {name}")


def _numbers(start: int, count: int) -> list[str]:
    return [f"+336{n:08d}" for n in range(start, start + count)]


def _listed(client: httpx.Client, key: str) -> list[str]:
    answer = client.get(LIST, params={"apiKey": key})
    assert answer.status_code == 200
    body = answer.json()  # a truncated answer would not parse
    assert body["nbData"] == len(body["data"])
    return [entry["phoneNumber"] for entry in body["data"]]


def _assert_full(answer: httpx.Response, language: str = "fr") -> None:
    assert answer.status_code == 503, answer.text
    assert answer.json()["code"] == 93
    assert answer.json()["message"] == FULL_MESSAGES[language]


def _leftovers(directory: Path) -> list[str]:
    if not directory.exists():
        return []
    return [name for name in os.listdir(directory) if name.endswith(".tmp")]


def test_full_disk_then_space_returns(disk_database_url, small_disk, tmp_path):
    db = Database(disk_database_url)
    db.migrate()
    created = Accounts(db).create("full-disk")
    key = created.api_key
    import_numbers(StopList(db, created.account), _numbers(0, STOPS))
    db.dispose()
    lists = small_disk.path / "lists"
    spool = small_disk.path / "tmp"
    spool.mkdir()
    env = {
        env_name("list_cache_dir"): str(lists),
        "TMPDIR": str(spool),
        "STOPLIST_WEBHOOK_DISPATCH": "0",
    }
    server = Server(disk_database_url, tmp_path / "server.log", env=env).start()
    acknowledged: list[str] = []
    refused: list[str] = []
    try:
        with httpx.Client(base_url=server.base_url, timeout=60) as client:
            # Room for the database to go on a little, not for a copy of the list.
            small_disk.fill(leave=32 * 1024)
            expected = _numbers(0, STOPS)
            assert _listed(client, key) == expected
            assert _leftovers(lists) == []

            # Writes until the disk is full: each is acknowledged or visibly refused.
            for number in _numbers(STOPS, 400):
                answer = client.get(ADD, params={"apiKey": key, "phoneNumber": number})
                if answer.status_code == 200:
                    acknowledged.append(number)
                else:
                    _assert_full(answer)
                    refused.append(number)
            assert refused, "the disk never filled up"
            small_disk.fill()
            english = client.get(
                ADD,
                params={"apiKey": key, "phoneNumber": "+33699999999"},
                headers={"Accept-Language": "en"},
            )
            _assert_full(english, "en")

            # Imports: one spooled to a temporary file, one small enough to stay in memory.
            big = "\n".join(_numbers(100_000, 150_000)).encode()
            _assert_full(client.post(IMPORT, params={"apiKey": key}, content=big))
            small = "\n".join(_numbers(300_000, 100)).encode()
            _assert_full(client.post(IMPORT, params={"apiKey": key}, content=small))
            assert os.listdir(spool) == []

            # Listing still answers whole lists, with the acknowledged writes.
            assert _listed(client, key) == expected + acknowledged
            assert _leftovers(lists) == []

            # Space returns: no restart, and everything works again.
            small_disk.free()
            later = client.get(ADD, params={"apiKey": key, "phoneNumber": refused[0]})
            assert later.status_code == 200
            imported = client.post(IMPORT, params={"apiKey": key}, content=small)
            assert imported.status_code == 200
            assert imported.json()["added"] == 100
            final = expected + acknowledged + [refused[0]] + _numbers(300_000, 100)
            assert _listed(client, key) == final
            assert any(not name.startswith(".") for name in os.listdir(lists))  # kept again
            assert _listed(client, key) == final  # the kept copy answers the same
    finally:
        server.stop()
    log = server.log_path.read_text()
    assert "Traceback" not in log, log[-3000:]
