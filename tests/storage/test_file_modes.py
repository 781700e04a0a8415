"""What stoplist creates on disk is its owner's only, whatever the umask, as backups are.

The database holds phone numbers, message texts and key digests, the spool
whole messages: under the usual umask 022 they would otherwise be readable
by every user of the machine. What exists already keeps the mode it has.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from stoplist.storage.database import Database
from stoplist.storage.held_opt_outs import MarkerHeldOptOuts
from stoplist.storage.spool import SET_ASIDE, Spool
from tests.support import run_cli_here


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    before = os.umask(0o022)
    yield
    os.umask(before)


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_new_sqlite_database_and_its_wal_and_shm_are_the_owner_s_only(tmp_path: Path) -> None:
    path = tmp_path / "stoplist.db"
    db = Database(f"sqlite:///{path}")
    try:
        db.migrate()
        with db.read() as conn:  # held open, so that the -wal and -shm files stay
            conn.exec_driver_sql("SELECT count(*) FROM accounts").scalar()
            made = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
            assert {str(file): _mode(file) for file in made} == {str(file): 0o600 for file in made}
    finally:
        db.dispose()
    # One that exists keeps its mode: the operator may let a group read it.
    path.chmod(0o640)
    again = Database(f"sqlite:///{path}")
    try:
        again.migrate()
    finally:
        again.dispose()
    assert _mode(path) == 0o640


def test_the_file_copy_database_writes_is_the_owner_s_only(
    own_db: Database, tmp_path: Path
) -> None:
    target = tmp_path / "copy.db"
    run_cli_here("copy-database", str(target), "--database", own_db.url)
    assert _mode(target) == 0o600


def test_the_spool_and_its_folders_are_the_owner_s_only(tmp_path: Path) -> None:
    directory = tmp_path / "stoplist.db-inbound-spool"
    spool = Spool(directory)
    spool.check()
    name = spool.put(b"{}")
    spool.set_aside(name)
    MarkerHeldOptOuts(directory).hold(1, "+33612345678", spool.new_name())
    modes = {
        "spool": _mode(directory),
        "set aside": _mode(directory / SET_ASIDE),
        "record": _mode(directory / SET_ASIDE / name),
        "held": _mode(directory / "held"),
    }
    assert modes == {"spool": 0o700, "set aside": 0o700, "record": 0o600, "held": 0o700}
    existing = tmp_path / "shared-spool"
    existing.mkdir(mode=0o750)
    Spool(existing).put(b"{}")
    assert _mode(existing) == 0o750
