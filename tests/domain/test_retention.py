"""Retention: texts older than the account's period are blanked, the rest is kept.

The clock is moved by sweeping at a later ``now`` (what the hourly task
would see years on), and by messages whose provider send time is two days
old; both run on SQLite and PostgreSQL (the ``db`` fixture).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest
from sqlalchemy import select, update

from stoplist.domain import clock
from stoplist.domain.audit import evidence, verify
from stoplist.domain.errors import InvalidRetentionDays
from stoplist.domain.event_export import event_chunks
from stoplist.domain.inbound import Inbound, InboundMessage
from stoplist.domain.retention import DEFAULT_DAYS, Retention
from stoplist.domain.review import ReviewQueue
from stoplist.domain.stops import StopList
from stoplist.records.events import ACCOUNT_WIDE, Source
from stoplist.storage.schema import events, review_items

DAY = 86_400 * clock.MICROS
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
OLD, NEW = "+33612345671", "+33612345672"


def _texts(db, account_id: int) -> dict[str, list[str | None]]:
    """Each number's texts in chain order (the sweeps' own events name no number)."""
    with db.read() as conn:
        rows = conn.execute(
            select(events.c.phone_number, events.c.text)
            .where(events.c.account_id == account_id, events.c.phone_number != ACCOUNT_WIDE)
            .order_by(events.c.chain_seq)
        )
        found: dict[str, list[str | None]] = {}
        for number, text in rows:
            found.setdefault(number, []).append(text)
        return found


def test_a_new_account_keeps_texts_three_years(db, account):
    assert Retention(db, account.account).days() == DEFAULT_DAYS == 1095


def test_texts_are_blanked_three_years_on_and_the_history_still_verifies(db, account):
    inbound = Inbound(db, account.account)
    inbound.receive(InboundMessage("generic", OLD, "STOP", message_id="o-1"))
    inbound.receive(InboundMessage("generic", NEW, "merci, à bientôt", message_id="n-1"))
    StopList(db, account.account).add("+33612345673", actor="alice", reason="asked by phone")
    retention = Retention(db, account.account)

    a_day_early = retention.apply(now=clock.now_us() + (DEFAULT_DAYS - 1) * DAY)
    assert a_day_early.texts_blanked == 0
    assert _texts(db, account.account.id)[OLD] == ["STOP"]

    later = clock.now_us() + (DEFAULT_DAYS + 1) * DAY
    swept = retention.apply(now=later, batch=1)  # one text per transaction
    assert swept.texts_blanked == 2 and swept.retention_days == DEFAULT_DAYS
    assert _texts(db, account.account.id) == {OLD: [None], NEW: [None], "+33612345673": [None]}
    assert verify(db, account.account).intact

    # The stop and its reasons stay; the number is still stopped, its evidence proven.
    stops = StopList(db, account.account)
    assert stops.find(OLD) is not None and stops.find("+33612345673") is not None
    proof = evidence(db, account.account, OLD)
    (item,) = proof.items
    assert item.item.event.text is None and item.item.link.text_digest is not None
    assert item.content_verified and item.chain_verified
    added = evidence(db, account.account, "+33612345673").items[0].item.event
    assert (added.actor, added.reason) == ("alice", "asked by phone")

    # Recorded once, with its period and cutoff; a second sweep finds nothing and records nothing.
    assert retention.apply(now=later).texts_blanked == 0
    (sweep,) = retention.history()
    assert (sweep.ran_at, sweep.retention_days, sweep.texts_blanked) == (later, DEFAULT_DAYS, 2)
    assert sweep.cutoff == later - DEFAULT_DAYS * DAY
    assert (sweep.event_id, sweep.source, sweep.actor) == (swept.event_id, Source.SCHEDULE, None)


def _sweep_rows(db, account_id: int):
    with db.read() as conn:
        return conn.execute(
            select(events).where(events.c.account_id == account_id, events.c.kind == "retention")
        ).all()


def test_a_sweep_is_an_event_of_the_account_chained_and_exported(db, account):
    inbound = Inbound(db, account.account)
    inbound.receive(InboundMessage("generic", OLD, "STOP", message_id="o-1"))
    later = clock.now_us() + (DEFAULT_DAYS + 1) * DAY
    swept = Retention(db, account.account).apply(now=later, source=Source.CLI, actor="dpo")
    inbound.receive(InboundMessage("generic", NEW, "STOP", message_id="n-1"))

    (row,) = _sweep_rows(db, account.account.id)
    assert row.id == swept.event_id and row.phone_number == ACCOUNT_WIDE
    assert (row.source, row.actor, row.event_at, row.text) == ("cli", "dpo", later, None)
    assert orjson.loads(row.details) == {
        "retentionDays": DEFAULT_DAYS,
        "cutoff": (EPOCH + timedelta(microseconds=later - DEFAULT_DAYS * DAY)).isoformat(),
        "textsBlanked": 1,
        "reviewTextsBlanked": 0,
    }
    # Second of three in the chain: the STOP before it, the next STOP after it.
    assert row.chain_seq == 2
    audit = verify(db, account.account)
    assert audit.intact and audit.length == 3

    exported = b"".join(event_chunks(db, account.account, "ndjson", since=None, until=None))
    records = [orjson.loads(line) for line in exported.splitlines()]
    assert [(r["type"], r["phoneNumber"]) for r in records] == [
        ("opt_out", OLD),
        ("retention", ""),
        ("opt_out", NEW),
    ]
    assert records[1]["details"]["textsBlanked"] == 1 and records[1]["actor"] == "dpo"


def test_a_sweep_edited_or_removed_by_hand_breaks_the_chain(db, account):
    Inbound(db, account.account).receive(InboundMessage("generic", OLD, "STOP", message_id="o-1"))
    swept = Retention(db, account.account).apply(now=clock.now_us() + (DEFAULT_DAYS + 1) * DAY)
    details = orjson.dumps({"retentionDays": 10, "textsBlanked": 1}).decode()
    with db.write() as conn:
        conn.execute(update(events).where(events.c.id == swept.event_id).values(details=details))
    broken = verify(db, account.account).broken
    assert broken is not None and broken.event_id == swept.event_id


def test_a_number_blanked_by_hand_no_longer_passes_for_an_account_event(db, account):
    Inbound(db, account.account).receive(InboundMessage("generic", OLD, "STOP", message_id="o-1"))
    with db.write() as conn:
        conn.execute(
            update(events)
            .where(events.c.account_id == account.account.id)
            .values(phone_number=ACCOUNT_WIDE)
        )
    broken = verify(db, account.account).broken
    assert broken is not None and broken.fault == "number"


def test_a_sweep_changes_no_entry_of_the_list(db, account):
    stops = StopList(db, account.account)
    stops.add(OLD)
    with stops.snapshot() as before:
        version = before.version
    Inbound(db, account.account).receive(InboundMessage("generic", NEW, "merci", message_id="n-1"))
    Retention(db, account.account).apply(now=clock.now_us() + (DEFAULT_DAYS + 1) * DAY)
    stops.add("+33612345673")
    with stops.changes_since(version) as changes:
        assert changes is not None
        assert sorted(changes.numbers) == [NEW, "+33612345673"]


def test_older_texts_go_newer_stay_by_event_time(db, account, other_account):
    two_days_ago = clock.now_us() - 47 * 3600 * clock.MICROS
    inbound = Inbound(db, account.account)
    inbound.receive(InboundMessage("generic", OLD, "STOP", message_id="o-1", sent_at=two_days_ago))
    inbound.receive(InboundMessage("generic", NEW, "arrête", message_id="n-1"))
    Inbound(db, other_account.account).receive(
        InboundMessage("generic", OLD, "STOP", message_id="o-1", sent_at=two_days_ago)
    )
    retention = Retention(db, account.account)
    assert retention.set_days(1) == 1
    assert retention.apply().texts_blanked == 1
    assert _texts(db, account.account.id) == {OLD: [None], NEW: ["arrête"]}
    assert verify(db, account.account).intact
    # Another account's period is its own.
    assert _texts(db, other_account.account.id) == {OLD: ["STOP"]}
    assert Retention(db, other_account.account).apply().texts_blanked == 0


def test_review_items_lose_their_copy_of_the_text(db, account):
    inbound = Inbound(db, account.account)
    inbound.receive(InboundMessage("generic", OLD, "please stop texting me", message_id="r-1"))
    assert ReviewQueue(db, account.account).backlog().pending == 1
    swept = Retention(db, account.account).apply(now=clock.now_us() + (DEFAULT_DAYS + 1) * DAY)
    assert (swept.texts_blanked, swept.review_texts_blanked) == (1, 1)
    with db.read() as conn:
        kept = conn.execute(
            select(review_items.c.text, review_items.c.phrase, review_items.c.status).where(
                review_items.c.account_id == account.account.id
            )
        ).one()
    assert kept.text == "" and kept.status == "pending"
    assert verify(db, account.account).intact


@pytest.mark.parametrize("days", [0, -3, 36_501, "two", "1.5"])
def test_a_period_must_be_a_whole_number_of_days_in_range(db, account, days):
    with pytest.raises(InvalidRetentionDays):
        Retention(db, account.account).set_days(days)
    assert Retention(db, account.account).days() == DEFAULT_DAYS
