"""``stoplist export -o`` and ``stoplist backup`` on a full or read-only disk.

Each says so in one line and leaves what was there as it was: yesterday's
export is not replaced by a truncated one, and no partial backup is left.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from stoplist.domain.accounts import Accounts
from stoplist.domain.imports import import_numbers
from stoplist.domain.stops import StopList
from stoplist.storage.database import Database
from tests.faults.conftest import SmallDisk
from tests.support import run_cli_here

pytestmark = [
    pytest.mark.alone,  # a full disk, as the other full-disk tests
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]
STOPS = 5_000  # an export and a copy far larger than the room left


@pytest.fixture
def database(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A SQLite database with one account, off the small disk."""
    url = f"sqlite:///{tmp_path / 'stoplist.db'}"
    db = Database(url)
    db.migrate()
    created = Accounts(db).create("shop")
    import_numbers(StopList(db, created.account), [f"+336{n:08d}" for n in range(STOPS)])
    db.dispose()
    yield url


def _one_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stdout
    assert "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    return line


def _names(small_disk: SmallDisk) -> list[str]:
    return sorted(path.name for path in small_disk.path.iterdir() if path.name != "filler")


def test_export_on_a_full_disk_keeps_the_previous_file(database, small_disk):
    previous = small_disk.path / "list.csv"
    previous.write_bytes(b"yesterday's export\n")
    small_disk.fill(leave=16 * 1024)
    result = run_cli_here(
        "export", "--account", "shop", "-o", str(previous), "--database", database, check=False
    )
    assert _one_error(result) == f"error: cannot write {previous}: No space left on device"
    assert previous.read_bytes() == b"yesterday's export\n"
    assert _names(small_disk) == ["list.csv"]
    small_disk.free()
    run_cli_here("export", "--account", "shop", "-o", str(previous), "--database", database)
    assert len(previous.read_text().splitlines()) == STOPS + 1


def test_backup_on_a_full_disk_says_so_in_one_line(database, small_disk):
    small_disk.fill(leave=16 * 1024)
    result = run_cli_here("backup", str(small_disk.path), "--database", database, check=False)
    assert _one_error(result) == f"error: cannot write {small_disk.path}: No space left on device"
    assert _names(small_disk) == []  # no partial copy


def test_export_on_a_read_only_disk(database, small_disk):
    previous = small_disk.path / "list.csv"
    previous.write_bytes(b"yesterday's export\n")
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk.path)], check=True)
    try:
        result = run_cli_here(
            "export", "--account", "shop", "-o", str(previous), "--database", database, check=False
        )
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_disk.path)], check=True)
    assert _one_error(result) == f"error: cannot write {previous}: Read-only file system"
    assert previous.read_bytes() == b"yesterday's export\n"
