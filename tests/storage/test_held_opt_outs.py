"""Held opt-outs: a spooled STOP counts as stopped until its message is recorded.

On PostgreSQL they are rows any node reads; on SQLite, marker files in the
spool, which every worker of the machine reads.
"""

from __future__ import annotations

import os
import time

from sqlalchemy import text

from stoplist.domain.accounts import Accounts
from stoplist.domain.inbound import InboundMessage
from stoplist.domain.inbound_spool import InboundSpool
from stoplist.domain.stops import StopList
from stoplist.storage.held_opt_outs import held_opt_outs_for, held_opt_outs_reader
from stoplist.storage.spool import Spool
from tests.support import list_locked

NUMBER = "+33612345678"


def _make_old(db, held, name: str) -> None:
    """As if the hold of ``name`` had been made two minutes ago."""
    long_ago = time.time() - 120
    if db.is_sqlite:
        for entry in os.scandir(held.directory):
            if entry.name.endswith(name):
                os.utime(entry.path, (long_ago, long_ago))
    else:
        with db.engine.begin() as conn:
            conn.execute(
                text("UPDATE held_opt_outs SET held_at = :at WHERE spool_name = :name"),
                {"at": int(long_ago * 1_000_000), "name": name},
            )


def test_holds_are_read_released_and_tidied(own_db, tmp_path):
    account = Accounts(own_db).create("holding").account
    held = held_opt_outs_for(own_db, tmp_path / "spool")
    held.hold(account.id, NUMBER, "a.json")
    held.hold(account.id, "+33611111111", "b.json")
    held.hold(account.id, "+33622222222", "c.json")
    assert held.numbers(account.id) == {NUMBER, "+33611111111", "+33622222222"}
    assert held.numbers(account.id + 1) == set()
    held.released("a.json")
    assert held.numbers(account.id) == {"+33611111111", "+33622222222"}
    # b's record is gone (recorded by a process that died before letting go): tidied once
    # settled. c's is still waiting, and a young hold is never tidied.
    held.tidy({"c.json"})
    assert held.numbers(account.id) == {"+33611111111", "+33622222222"}
    _make_old(own_db, held, "b.json")
    _make_old(own_db, held, "c.json")
    held.tidy({"c.json"})
    assert held.numbers(account.id) == {"+33622222222"}
    if not own_db.is_sqlite:  # every node reads the rows, spool or not
        assert held_opt_outs_reader(own_db).numbers(account.id) == {"+33622222222"}


def test_a_spooled_stop_is_held_until_drained_and_a_start_is_not(own_db, tmp_path):
    account = Accounts(own_db).create("spooling").account
    spool = InboundSpool(own_db, Spool(tmp_path / "spool"), lock_wait=0.2)
    with list_locked(own_db, account.id):
        start = InboundMessage("generic", "+33611111111", "START", message_id="m0")
        assert spool.receive(account, start).spooled
        stop = InboundMessage("generic", NUMBER, "STOP", message_id="m1")
        assert spool.receive(account, stop).spooled
        assert spool.held.numbers(account.id) == {NUMBER}
    assert spool.drain() == 2
    assert spool.held.numbers(account.id) == set()
    assert StopList(own_db, account).find(NUMBER) is not None
