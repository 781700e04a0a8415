"""``stoplist backup`` and the documented restore, against real servers.

The backup is taken while a server commits a steady stream of adds; restored
into a fresh directory, it serves every add acknowledged before the backup
began, and exactly the list the live server had at that moment.
"""

from __future__ import annotations

import json
import re
import shutil
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from stoplist.domain.accounts import Accounts
from stoplist.storage.database import Database
from tests.support import Server, run_cli, run_cli_here, started

_WRITERS = 2
_MAX_ADDS = 20_000  # per writer: bounds the load whatever happens


def _new_database(directory: Path) -> tuple[str, str]:
    """A SQLite database in ``directory`` with one account: its URL and API key."""
    directory.mkdir()
    url = f"sqlite:///{directory / 'stoplist.db'}"
    db = Database(url)
    db.migrate()
    api_key = Accounts(db).create("shop").api_key
    db.dispose()
    return url, api_key


def _restore(backup: Path, directory: Path) -> str:
    """What docs/deploy.md says: the backup file becomes the database of a stopped server."""
    directory.mkdir()
    shutil.copyfile(backup, directory / "stoplist.db")
    return f"sqlite:///{directory / 'stoplist.db'}"


def _list(server: Server, api_key: str) -> bytes:
    answer = httpx.get(f"{server.base_url}/v1/stop-sms/list", params={"apiKey": api_key})
    assert answer.status_code == 200
    return answer.content


class _Load:
    """Writers adding new numbers as fast as the server acknowledges them."""

    def __init__(self, server: Server, api_key: str) -> None:
        self.acknowledged: list[tuple[int, str]] = []
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._write, args=(server.base_url, api_key, n))
            for n in range(_WRITERS)
        ]

    def __enter__(self) -> _Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def wait_for(self, count: int) -> None:
        while len(self.acknowledged) < count and any(t.is_alive() for t in self._threads):
            self._stop.wait(0.05)
        assert not self.failures, self.failures
        assert len(self.acknowledged) >= count

    def _write(self, base_url: str, api_key: str, writer: int) -> None:
        with httpx.Client(base_url=base_url, timeout=30) as http:
            for i in range(_MAX_ADDS):
                if self._stop.is_set():
                    return
                number = f"+336{writer}{i:07d}"
                answer = http.post(
                    "/v1/stop-sms/add", params={"apiKey": api_key}, data={"phoneNumber": number}
                )
                if answer.status_code != 200:
                    self.failures.append(answer.text)
                    return
                self.acknowledged.append((answer.json()["stopId"], number))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_backup_under_load_then_restore(tmp_path, database_url):
    url, api_key = _new_database(tmp_path / "live")
    live = Server(url, tmp_path / "live.log").start()
    try:
        with _Load(live, api_key) as load:
            load.wait_for(200)
            before = list(load.acknowledged)
            taken = run_cli_here("backup", str(tmp_path / "under-load.db"), "--database", url)
            load.wait_for(len(load.acknowledged) + 50)  # still writing after the backup
        assert "backed up" in taken.stdout
        live_list = json.loads(_list(live, api_key))["data"]
        # Quiet now: a second backup must give back the very same answer.
        run_cli_here("backup", str(tmp_path / "quiet.db"), "--database", url)
        quiet_bytes = _list(live, api_key)
    finally:
        live.stop()
    assert not (tmp_path / "under-load.db-wal").exists()  # one self-contained file

    with started(
        Server(
            _restore(tmp_path / "under-load.db", tmp_path / "restored"), tmp_path / "restored.log"
        ),
        Server(
            _restore(tmp_path / "quiet.db", tmp_path / "restored-quiet"),
            tmp_path / "restored-quiet.log",
        ),
    ) as (restored, again):
        entries = json.loads(_list(restored, api_key))["data"]
        quiet_again = _list(again, api_key)
    kept = {(entry["id"], entry["phoneNumber"]) for entry in entries}
    assert set(before) <= kept, "an add acknowledged before the backup is missing"
    # A consistent snapshot: exactly the live list up to some commit.
    assert len(entries) < len(live_list)
    assert entries == live_list[: len(entries)]
    assert quiet_again == quiet_bytes


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_existing_file_is_kept_unless_forced(tmp_path, database_url):
    url, _ = _new_database(tmp_path / "db")
    target = tmp_path / "backup.db"
    target.write_bytes(b"precious")
    refused = run_cli_here("backup", str(target), "--database", url, check=False)
    assert refused.returncode == 1
    assert refused.stderr.strip() == f"error: {target} already exists (--force to replace it)"
    assert target.read_bytes() == b"precious"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
    run_cli_here("backup", str(target), "--force", "--database", url)
    assert target.read_bytes().startswith(b"SQLite format 3\x00")
    assert target.stat().st_mode & 0o077 == 0  # personal data: the owner's only


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_into_a_directory_and_bad_destinations(tmp_path, database_url):
    url, _ = _new_database(tmp_path / "db")
    folder = tmp_path / "backups"
    folder.mkdir()
    run_cli_here("backup", str(folder), "--database", url)
    (made,) = folder.iterdir()
    assert made.name.startswith("stoplist-") and made.suffix == ".db"
    missing = run_cli_here(
        "backup", str(tmp_path / "nope" / "x.db"), "--database", url, check=False
    )
    assert missing.returncode == 1 and "no such directory" in missing.stderr
    itself = run_cli_here(
        "backup", str(tmp_path / "db" / "stoplist.db"), "--database", url, check=False
    )
    assert itself.returncode == 1 and "the database itself" in itself.stderr
    french = run_cli(
        "backup", str(made), "--database", url, env={"LANG": "fr_FR.UTF-8"}, check=False
    )
    assert french.stderr.strip() == f"erreur : {made} existe déjà (--force pour le remplacer)"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("force", [[], ["--force"]], ids=["plain", "forced"])
def test_a_backup_within_the_same_second_keeps_the_earlier_one(tmp_path, database_url, force):
    url, _ = _new_database(tmp_path / "db")
    folder = tmp_path / "nightly"
    folder.mkdir()
    now = datetime.now(UTC)
    earlier = [
        folder / f"stoplist-{now + timedelta(seconds=offset):%Y%m%dT%H%M%SZ}.db"
        for offset in range(5)
    ]
    for path in earlier:
        path.write_bytes(b"an earlier backup")
    run_cli_here("backup", f"{folder}/", *force, "--database", url)
    assert all(path.read_bytes() == b"an earlier backup" for path in earlier)
    (made,) = set(folder.iterdir()) - set(earlier)
    assert made.name.endswith("-2.db") and made.read_bytes().startswith(b"SQLite format 3")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_destination_ending_in_a_slash_is_a_directory(tmp_path, database_url):
    url, _ = _new_database(tmp_path / "db")
    wanted = tmp_path / "nightly"
    refused = run_cli_here("backup", f"{wanted}/", "--database", url, check=False)
    assert refused.returncode == 1
    assert refused.stderr.strip() == f"error: no such directory: {wanted}"
    assert not wanted.exists()  # not a file named after the directory either
    wanted.mkdir()
    run_cli_here("backup", f"{wanted}/", "--database", url)
    (made,) = wanted.iterdir()
    assert made.name.startswith("stoplist-") and made.suffix == ".db"


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_postgresql_is_pointed_at_pg_dump(database_url, db, tmp_path):
    with_password = database_url.replace("postgresql://postgres@", "postgresql://postgres:hunter2@")
    result = run_cli_here(
        "backup", str(tmp_path / "x.dump"), "--database", with_password, check=False
    )
    assert result.returncode == 1
    assert "pg_dump --format=custom" in result.stderr
    assert f"--file={tmp_path / 'x.dump'} " in result.stderr
    # No password, not even a masked one: libpq would take '***' for the password.
    assert "hunter2" not in result.stderr and "***" not in result.stderr
    assert "postgresql://postgres@" in result.stderr and "PGPASSWORD" in result.stderr
    assert not (tmp_path / "x.dump").exists()
    assert "also keep" not in result.stdout


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_pg_dump_into_a_directory_gets_a_dated_file(database_url, db, tmp_path):
    name = make_url(database_url).database
    in_query = f"{database_url}?password=hunter2"
    for destination in (str(tmp_path), f"{tmp_path / 'later'}/"):
        result = run_cli_here("backup", destination, "--database", in_query, check=False)
        assert result.returncode == 1
        command = result.stderr.strip().splitlines()[-1].strip()
        written = command.split("--file=", 1)[1].split(" ", 1)[0]
        assert re.fullmatch(rf"{re.escape(name)}-\d{{8}}T\d{{6}}Z\.dump", Path(written).name)
        assert Path(written).parent == Path(destination.rstrip("/"))
        assert "hunter2" not in result.stderr and "password" not in command


def test_a_backup_leaves_the_schema_as_it_is_for_a_rollback(tmp_path):
    """Taken between installing a new version and restarting: the old one must open both."""
    from alembic import command

    from stoplist.storage.migrate import alembic_config, current_revision

    url = f"sqlite:///{tmp_path / 'stoplist.db'}"
    db = Database(url)
    command.upgrade(alembic_config(db), "0012")
    made = run_cli_here("backup", str(tmp_path / "before-upgrade.db"), "--database", url)
    assert "backed up 0 stop(s)" in made.stdout
    copy = Database(f"sqlite:///{tmp_path / 'before-upgrade.db'}")
    assert current_revision(db) == current_revision(copy) == "0012"
    db.dispose()
    copy.dispose()
