"""Inbound messages that wait in the spool while their list is locked, then are recorded."""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import orjson
import pytest

from stoplist.domain import clock
from stoplist.domain.accounts import Accounts
from stoplist.domain.erasure import erase
from stoplist.domain.errors import ParameterRefused
from stoplist.domain.inbound import Inbound, InboundMessage, Part
from stoplist.domain.inbound_spool import InboundSpool, check_spool, spool_directory
from stoplist.domain.retention import DEFAULT_DAYS, Retention
from stoplist.domain.stops import StopList
from stoplist.records.events import EventKind
from stoplist.records.models import Account
from stoplist.storage.database import Database
from stoplist.storage.spool import Spool
from tests.support import list_held, list_locked

NUMBER = "+33612345678"
LOCK_WAIT = 0.2


@pytest.fixture
def account(own_db: Database) -> Account:
    return Accounts(own_db).create("spooling").account


@pytest.fixture
def spool(own_db: Database, tmp_path: Path) -> InboundSpool:
    return InboundSpool(own_db, Spool(tmp_path / "spool"), LOCK_WAIT)


def _message(text: str, message_id: str) -> InboundMessage:
    return InboundMessage(provider="generic", sender=NUMBER, text=text, message_id=message_id)


def test_a_message_that_cannot_get_its_list_waits_on_disk_then_is_recorded(own_db, account, spool):
    stops = StopList(own_db, account)
    with list_locked(own_db, account.id):
        before = clock.now_us()
        outcome = spool.receive(account, _message("STOP", "m1"))
        after = clock.now_us()
        assert outcome.spooled and outcome.verdict == "spooled"
        assert outcome.phone_number == NUMBER
        assert len(spool.spool) == 1
        assert spool.drain() == 0  # still locked: it stays
        assert len(spool.spool) == 1
    released = clock.now_us()
    assert stops.find(NUMBER) is None

    assert spool.drain() == 1
    assert len(spool.spool) == 0
    assert stops.find(NUMBER) is not None
    _, events = stops.history(NUMBER)
    [event] = events
    assert event.kind is EventKind.OPT_OUT
    # Recorded as of when it reached us, not when the lock let it in.
    assert before <= event.received_at <= after < released
    assert event.event_at <= event.received_at


def test_a_start_that_came_after_a_spooled_stop_still_wins(own_db, account, spool):
    stops = StopList(own_db, account)
    with list_locked(own_db, account.id):
        assert spool.receive(account, _message("STOP", "m1")).spooled
    time.sleep(0.01)
    assert not spool.receive(account, _message("START", "m2")).spooled  # the lock is free
    assert spool.drain() == 1  # the STOP comes in late, dated when it arrived
    assert stops.find(NUMBER) is None
    _, events = stops.history(NUMBER)
    assert [e.kind for e in sorted(events, key=lambda e: e.event_at)] == [
        EventKind.OPT_OUT,
        EventKind.OPT_IN,
    ]


def test_a_message_recorded_twice_is_a_duplicate(own_db, account, spool, tmp_path):
    """A process that dies between its commit and removing the file records it again: the
    message came without an id, so it was given one as it was spooled."""
    with list_locked(own_db, account.id):
        spool.receive(account, InboundMessage(provider="twilio", sender=NUMBER, text="STOP"))
    [name] = spool.spool.names()
    kept = tmp_path / "kept"
    shutil.copy(spool.spool.directory / name, kept)
    assert spool.drain() == 1
    shutil.copy(kept, spool.spool.directory / name)
    assert spool.drain() == 1
    _, events = StopList(own_db, account).history(NUMBER)
    [event] = events
    assert event.provider_message_id.startswith("spool:")


def test_a_record_that_can_never_be_recorded_is_set_aside_and_the_rest_go_on(
    own_db, account, spool, caplog
):
    with list_locked(own_db, account.id):
        spool.receive(account, _message("STOP", "m1"))
    (spool.spool.directory / "00000000000000000001-garbled.json").write_bytes(b"{not json")
    assert spool.drain() == 1
    assert spool.spool.names() == []
    assert spool.spool.set_aside_count() == 1
    assert "set aside" in caplog.text
    assert StopList(own_db, account).find(NUMBER) is not None


def test_a_message_whose_list_is_free_is_recorded_at_once(own_db, account, spool):
    outcome = spool.receive(account, _message("STOP", "m1"))
    assert not outcome.spooled and outcome.verdict == "opt_out"
    assert spool.spool.names() == []


def test_a_message_waits_only_as_long_as_it_is_told(own_db, account, spool):
    with list_locked(own_db, account.id):
        started = time.monotonic()
        spool.receive(account, _message("STOP", "m1"))
        waited = time.monotonic() - started
    # Not a timing goal: the default timeout (30 s) would have run out instead.
    assert waited < 10


def test_a_confirmation_that_would_go_in_the_answer_is_not_given_once_drained(
    own_db, account, spool
):
    """No one reads the answer of a drained message: the confirmation is not written down as
    given, so the next opt-out within the day still gets one."""
    with list_locked(own_db, account.id):
        spool.receive(account, _message("STOP", "m1"))
    spool.drain()
    outcome = Inbound(own_db, account).receive(_message("STOP", "m2"))
    assert outcome.reply is not None and outcome.reply.inline


def test_the_spool_sits_beside_the_sqlite_file_unless_told(own_db, tmp_path):
    if own_db.is_sqlite:
        assert spool_directory(own_db) == Path(f"{own_db.engine.url.database}-inbound-spool")
    else:
        assert spool_directory(own_db) is None
    assert spool_directory(own_db, "off") is None
    assert spool_directory(own_db, str(tmp_path)) == tmp_path


def test_one_locked_account_does_not_hold_up_the_others(own_db, account, spool):
    if own_db.is_sqlite:
        pytest.skip("SQLite's one writer lock is every account's")
    other = Accounts(own_db).create("other").account
    with list_locked(own_db, account.id), list_locked(own_db, other.id):
        assert spool.receive(account, _message("STOP", "m1")).spooled
        assert spool.receive(other, _message("STOP", "m2")).spooled
    with list_locked(own_db, account.id):
        assert spool.drain() == 1  # the other account's, behind the locked one's
        assert len(spool.spool) == 1
    assert StopList(own_db, other).find(NUMBER) is not None
    assert spool.drain() == 1
    assert StopList(own_db, account).find(NUMBER) is not None


def test_a_message_that_fails_for_good_does_not_hold_up_the_rest(own_db, account, spool):
    """Its region changed under it: the sender no longer reads as a number."""
    with list_locked(own_db, account.id):
        spool.receive(account, InboundMessage(provider="generic", sender="0612345678", text="STOP"))
        spool.receive(account, _message("STOP", "m2"))
    Accounts(own_db).update_settings(account, default_region="US")
    assert spool.drain() == 1
    assert spool.spool.set_aside_count() == 1
    assert StopList(own_db, account).find(NUMBER) is not None


def test_two_databases_pointed_at_one_spool_never_take_each_other_s_messages(
    own_db, account, spool, fresh_database_url, caplog
):
    other_db = Database(fresh_database_url)
    other_db.migrate()
    try:
        other_account = Accounts(other_db).create("same id, other database").account
        assert other_account.id == account.id
        other = InboundSpool(other_db, spool.spool, LOCK_WAIT)
        with list_locked(own_db, account.id):
            assert spool.receive(account, _message("STOP", "m1")).spooled
        assert other.drain() == 0
        assert len(spool.spool) == 1
        assert "another database" in caplog.text
        assert StopList(other_db, other_account).find(NUMBER) is None
        # Known as another database's, it is not read again at every round.
        [name] = spool.spool.names()
        record = spool.spool.directory / name
        kept = record.read_bytes()
        record.write_bytes(b"{not json")
        assert other.drain() == 0
        assert spool.spool.set_aside_count() == 0
        record.write_bytes(kept)
        assert spool.drain() == 1
        assert StopList(own_db, account).find(NUMBER) is not None
    finally:
        other_db.dispose()


def test_a_spool_that_cannot_be_written_waits_for_the_lock_instead(own_db, account, tmp_path):
    blocked = tmp_path / "a file"
    blocked.write_text("not a directory")
    spool = InboundSpool(own_db, Spool(blocked / "spool"), LOCK_WAIT)
    with list_held(own_db, account.id) as release:
        threading.Timer(1.0, release.set).start()
        outcome = spool.receive(account, _message("STOP", "m1"))
    assert not outcome.spooled and outcome.verdict == "opt_out"
    assert StopList(own_db, account).find(NUMBER) is not None


def test_a_long_message_completed_by_a_spooled_part_is_dated_when_that_part_came(
    own_db, account, spool
):
    """Its first part came straight through; the second met a locked list, and so did a START
    sent after it: the START still wins."""

    def part(text: str, number: int) -> InboundMessage:
        return InboundMessage(
            provider="vonage", sender=NUMBER, text=text, part=Part("r1", number, 2)
        )

    assert spool.receive(account, part("ST", 1)).pending
    with list_locked(own_db, account.id):
        before = clock.now_us()
        assert spool.receive(account, part("OP", 2)).spooled
        time.sleep(0.01)
        assert spool.receive(account, _message("START", "m2")).spooled
    assert spool.drain() == 2
    stops = StopList(own_db, account)
    assert stops.find(NUMBER) is None
    _, events = stops.history(NUMBER)
    [stop] = [e for e in events if e.kind is EventKind.OPT_OUT]
    assert stop.text == "STOP"
    assert before <= stop.received_at < next(e.received_at for e in events if e is not stop)


@pytest.mark.parametrize(("texts", "held"), [(("ST", "OP"), True), (("ST", "ay"), False)])
def test_a_spooled_part_that_completes_a_stop_holds_its_number(own_db, account, spool, texts, held):
    """Every part acknowledged: from then on the number reads stopped, as for a one-part STOP."""

    def part(text: str, number: int) -> InboundMessage:
        return InboundMessage(
            provider="vonage", sender=NUMBER, text=text, part=Part("r1", number, 2)
        )

    assert spool.receive(account, part(texts[0], 1)).pending
    with list_locked(own_db, account.id):
        assert spool.receive(account, part(texts[1], 2)).spooled
        assert (NUMBER in spool.held.numbers(account.id)) is held
    assert spool.drain() == 1
    assert spool.held.numbers(account.id) == set()
    assert (StopList(own_db, account).find(NUMBER) is not None) is held


def test_a_deleted_account_s_message_is_set_aside_not_given_to_another(own_db, spool):
    """Not even to an account whose name is the deleted one's id (named before such names
    were refused)."""
    accounts = Accounts(own_db)
    victim = accounts.create("victim").account
    named_like_it = accounts.create("twin").account
    with own_db.write() as conn:
        conn.exec_driver_sql(f"UPDATE accounts SET name = '{victim.id}' WHERE name = 'twin'")
    with list_locked(own_db, victim.id):
        assert spool.receive(victim, _message("STOP", "m1")).spooled
    with own_db.write() as conn:
        conn.exec_driver_sql(f"DELETE FROM accounts WHERE id = {victim.id}")
    assert spool.drain() == 0
    assert spool.spool.set_aside_count() == 1
    assert StopList(own_db, named_like_it).find(NUMBER) is None


def test_a_part_no_long_message_can_have_is_refused_even_while_the_list_is_locked(
    own_db, account, spool
):
    message = InboundMessage(provider="vonage", sender=NUMBER, text="x", part=Part("r", 1, 20))
    with list_locked(own_db, account.id), pytest.raises(ParameterRefused):
        spool.receive(account, message)
    assert spool.spool.names() == []


def test_the_spool_is_checked_as_the_server_starts(own_db, tmp_path):
    directory = tmp_path / "spool"
    assert check_spool(own_db, str(directory)) == directory
    old = directory / "00000000000000000001-killed.json.partial"
    old.write_bytes(b"{")
    os.utime(old, (time.time() - 3600,) * 2)
    fresh = directory / "00000000000000000002-writing.json.partial"
    fresh.write_bytes(b"{")
    check_spool(own_db, str(directory))
    assert not old.exists() and fresh.exists()
    (tmp_path / "a file").write_text("")
    with pytest.raises(OSError):
        check_spool(own_db, str(tmp_path / "a file"))


def test_messages_keep_the_order_they_came_in_whichever_way_they_were_written(
    own_db, account, tmp_path
):
    """A START that waited for the lock and got it, then a STOP sent after it that was
    spooled: the STOP came last, so the number ends stopped."""
    patient = InboundSpool(own_db, Spool(tmp_path / "spool"), lock_wait=30)
    hurried = InboundSpool(own_db, Spool(tmp_path / "spool"), lock_wait=LOCK_WAIT)
    with list_held(own_db, account.id) as release, ThreadPoolExecutor(max_workers=1) as pool:
        start = pool.submit(patient.receive, account, _message("START", "m1"))
        time.sleep(0.3)  # the START is waiting for the lock by now
        stop = hurried.receive(account, _message("STOP", "m2"))
        release.set()
        assert not start.result().spooled
    assert stop.spooled
    assert hurried.drain() == 1
    stops = StopList(own_db, account)
    assert stops.find(NUMBER) is not None
    _, events = stops.history(NUMBER)
    assert [e.kind for e in sorted(events, key=lambda e: e.received_at)] == [
        EventKind.OPT_IN,
        EventKind.OPT_OUT,
    ]


DAY_US = 86_400 * clock.MICROS


def _set_aside_one_each(own_db, account, spool, *senders: str) -> None:
    """Spool a STOP from each of ``senders``, then set every record aside, as the drainer would."""
    with list_locked(own_db, account.id):
        for index, sender in enumerate(senders):
            message = InboundMessage(
                provider="generic", sender=sender, text="STOP", message_id=f"m{index}"
            )
            assert spool.receive(account, message).spooled
    for name in spool.spool.names():
        spool.spool.set_aside(name)


def _set_aside_senders(spool: InboundSpool) -> list[str]:
    return sorted(orjson.loads(item.record)["sender"] for item in spool.spool.set_aside_records())


def test_an_erasure_reaches_the_messages_set_aside_with_its_number(own_db, account, spool, caplog):
    caplog.set_level(logging.INFO, "stoplist.inbound")
    other = "+33698765432"
    _set_aside_one_each(own_db, account, spool, NUMBER, other)
    assert spool.tidy() == 0  # nothing erased, nothing past its period

    erase(StopList(own_db, account), NUMBER)
    assert spool.tidy() == 1
    assert _set_aside_senders(spool) == [other]
    assert "its number was erased" in caplog.text
    assert spool.tidy() == 0


def test_messages_set_aside_go_once_their_account_s_retention_period_is_over(
    own_db, account, spool
):
    _set_aside_one_each(own_db, account, spool, NUMBER)
    now = clock.now_us()
    Retention(own_db, account).set_days(30)
    assert spool.tidy(now + 29 * DAY_US) == 0
    assert spool.tidy(now + 31 * DAY_US) == 1
    assert spool.spool.set_aside_count() == 0


def test_what_names_no_account_goes_after_the_default_period(own_db, account, spool):
    _set_aside_one_each(own_db, account, spool, NUMBER)
    with own_db.write() as conn:
        conn.exec_driver_sql(f"DELETE FROM accounts WHERE id = {account.id}")
    aside = spool.spool.directory / "set-aside"
    (aside / "00000000000000000001-garbled.json").write_bytes(b"{not json")
    os.mkfifo(aside / "00000000000000000002-pipe.json")
    now = clock.now_us()
    assert spool.tidy(now + (DEFAULT_DAYS - 1) * DAY_US) == 0
    assert spool.spool.set_aside_count() == 3
    assert spool.tidy(now + (DEFAULT_DAYS + 1) * DAY_US) == 3
    assert spool.spool.set_aside_count() == 0


def test_a_link_in_place_of_set_aside_is_never_followed(own_db, account, spool, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "00000000000000000001-important.json").write_bytes(b"not the spool's")
    spool.spool.directory.mkdir(parents=True, exist_ok=True)
    (spool.spool.directory / "set-aside").symlink_to(outside)
    later = clock.now_us() + (DEFAULT_DAYS + 1) * DAY_US
    with pytest.raises(OSError):
        spool.tidy(later)
    assert (outside / "00000000000000000001-important.json").exists()
    # Nor is a record moved through it: it stays where the drainer finds it again.
    with list_locked(own_db, account.id):
        spool.receive(account, _message("STOP", "m1"))
    [name] = spool.spool.names()
    with pytest.raises(OSError):
        spool.spool.set_aside(name)
    assert spool.spool.names() == [name] and len(list(outside.iterdir())) == 1


def test_a_directory_named_like_a_record_does_not_stop_the_removals(own_db, account, spool, caplog):
    _set_aside_one_each(own_db, account, spool, NUMBER)
    (spool.spool.directory / "set-aside" / "00000000000000000000-odd.json").mkdir()
    erase(StopList(own_db, account), NUMBER)
    assert spool.tidy() == 1
    later = clock.now_us() + (DEFAULT_DAYS + 1) * DAY_US
    assert spool.tidy(later) == 0  # the directory cannot be removed: told, not raised
    assert "cannot remove" in caplog.text
    assert spool.spool.set_aside_count() == 1
