"""Proving an account's history intact, and one number's evidence.

Every event is a link of its account's hash chain (``storage.chain``).
Verifying walks the chain in order and recomputes each link: the digests of
a text or number still present, then the event's own hash from its
predecessor's. The first link that fails is named, with what went wrong:

- ``changed``: the event's content no longer gives its hash (a text, a
  number, a time, any hashed column edited by hand), or it does not follow
  the event before it;
- ``removed``: positions are missing before it, or at the end of the chain
  (the account's chain head counts more events than there are);
- ``inserted``: an event outside the chain (no position, or past the head).

The chain's head (its length and last hash) is printed by ``stoplist audit
verify``: kept outside the database (a ticket, an e-mail), it also shows
that no one removed the last events and rewrote the head.
"""

from __future__ import annotations

from collections.abc import Generator
from contextlib import closing
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Connection

from stoplist.domain.numbers import normalize
from stoplist.records.events import ChainedEvent
from stoplist.records.models import Account
from stoplist.storage import chain
from stoplist.storage import event_reads as reads
from stoplist.storage.database import Database


class Problem(StrEnum):
    CHANGED = "changed"
    REMOVED = "removed"
    INSERTED = "inserted"


class Fault(StrEnum):
    """What exactly does not hold in a changed event."""

    TEXT = "text"
    NUMBER = "number"
    CONTENT = "content"
    LINK = "link"


@dataclass(frozen=True, slots=True)
class Break:
    """The first place where an account's history is not what was recorded.

    ``event_id`` is the event named: the changed or inserted one, or for a
    removal the first event after the gap (None when the end was removed).
    ``position`` is where in the chain it was found; ``missing`` how many
    positions are gone for a removal.
    """

    problem: Problem
    event_id: int | None
    position: int
    fault: Fault | None = None
    missing: int = 0


@dataclass(frozen=True, slots=True)
class AccountAudit:
    account: Account
    length: int
    head: bytes
    checked: int
    broken: Break | None

    @property
    def intact(self) -> bool:
        return self.broken is None


def fault_of(keys: chain.ChainKeys, item: ChainedEvent) -> Fault | None:
    """What in this one event does not match its own hash (None: it matches)."""
    event, link = item.event, item.link
    if link.seq is None or link.prev_hash is None or link.hash is None:
        return Fault.LINK
    if link.number_digest is None:
        return Fault.NUMBER
    if event.text is not None and chain.text_digest(event.text) != link.text_digest:
        return Fault.TEXT
    if chain.is_erased_stand_in(event.phone_number):
        if event.phone_number != chain.erased_stand_in(link.number_digest):
            return Fault.NUMBER
    elif chain.number_digest(keys, event.phone_number) != link.number_digest:
        return Fault.NUMBER
    fields = chain.fields_digest(
        event.account_id,
        kind=event.kind.value,
        source=event.source.value,
        event_at=event.event_at,
        received_at=event.received_at,
        provider=event.provider,
        provider_message_id=event.provider_message_id,
        actor=event.actor,
        reason=event.reason,
        details=link.details,
        provider_time_raw=event.provider_time_raw,
    )
    own = chain.link_hash(
        keys, link.prev_hash, fields, link.seq, link.number_digest, link.text_digest
    )
    return None if own == link.hash else Fault.CONTENT


def walk(
    conn: Connection, account_id: int, *, through: int | None = None
) -> tuple[int, Break | None]:
    """Check the chain from its start (up to position ``through``): how many events, and
    the first break of the chain itself (hand-inserted rows outside it are not looked for)."""
    keys = chain.chain_keys(conn)
    head = chain.read_head(conn, account_id)
    expected, prev, checked = 1, chain.GENESIS, 0
    with closing(reads.iter_chain(conn, account_id, through=through)) as items:
        for item in items:
            seq = item.link.seq
            assert seq is not None
            if seq > head.length:
                return checked, Break(Problem.INSERTED, item.event.id, seq)
            if seq != expected:
                return checked, Break(
                    Problem.REMOVED, item.event.id, expected, missing=seq - expected
                )
            fault = fault_of(keys, item)
            if fault is not None:
                return checked, Break(Problem.CHANGED, item.event.id, seq, fault)
            if item.link.prev_hash != prev:
                return checked, Break(Problem.CHANGED, item.event.id, seq, Fault.LINK)
            prev = item.link.hash or b""
            expected += 1
            checked += 1
    end = head.length if through is None else min(through, head.length)
    if checked < end or (through is None and prev != head.hash):
        return checked, Break(Problem.REMOVED, None, expected, missing=end - checked)
    return checked, None


def verify(db: Database, account: Account) -> AccountAudit:
    """Walk the whole chain of ``account``, then look for events outside it."""
    with db.read(snapshot=True) as conn:
        checked, broken = walk(conn, account.id)
        head = chain.read_head(conn, account.id)
        stray = reads.first_unchained(conn, account.id)
    if stray is not None and (
        broken is None or broken.event_id is None or stray.event.id < broken.event_id
    ):
        broken = Break(Problem.INSERTED, stray.event.id, 0)
    return AccountAudit(account, head.length, head.hash, checked, broken)


@dataclass(frozen=True, slots=True)
class EvidenceItem:
    """One event of a number with its proof: does it match its hash, does the chain hold
    from the account's first event up to and including it."""

    item: ChainedEvent
    content_verified: bool
    chain_verified: bool


@dataclass(frozen=True, slots=True)
class Evidence:
    phone_number: str
    items: list[EvidenceItem]
    length: int
    head: bytes


def evidence(db: Database, account: Account, raw: object) -> Evidence:
    """Every event of one number, in chain order, each with its chain proof.

    The chain is walked from the account's first event up to the number's
    last one (one pass, streamed), so the cost grows with the account's
    history, not only the number's.
    """
    number = normalize(raw, account.default_region)
    with db.read(snapshot=True) as conn:
        keys = chain.chain_keys(conn)
        stand_in = chain.erased_stand_in(chain.number_digest(keys, number))
        found = reads.number_events(conn, account.id, number, stand_in)
        head = chain.read_head(conn, account.id)
        positions = [item.link.seq for item in found if item.link.seq is not None]
        broken = walk(conn, account.id, through=max(positions))[1] if positions else None
    items = []
    for item in found:
        seq = item.link.seq
        good = fault_of(keys, item) is None and seq is not None and seq <= head.length
        before_break = broken is None or (seq is not None and seq < broken.position)
        items.append(EvidenceItem(item, good, good and before_break))
    return Evidence(number, items, head.length, head.hash)


def export_events(
    db: Database, account: Account, *, since: int | None, until: int | None
) -> Generator[ChainedEvent, None, None]:
    """The account's events with event time in ``[since, until)``, in chain order, from one
    snapshot, streamed. Close the iterator when done with it: it holds a transaction."""
    with (
        db.read(snapshot=True) as conn,
        closing(reads.iter_range(conn, account.id, since=since, until=until)) as items,
    ):
        yield from items
