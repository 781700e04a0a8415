"""Possible opt-outs: what an account does with them, and the queue people decide.

A message that asks to stop in other words than a keyword ("please stop
texting me", see ``domain.reasonable_means``) is handled as the account
chose (``Mode``): stopped at once, queued for a person to decide, or left a
reply. Queued messages are recorded as replies first (so that nothing is
lost and the history shows what came), then confirmed or dismissed. Each
decision is an event on the number's history with who decided and why;
confirming stops the number like any opt-out, dated at the message itself,
so the stop counts from when the person asked (which is what the rules
measure their deadlines from), not from when someone got round to it.
A confirmed item gives the person the opt-out confirmation in the
message's language, in the decision's transaction and by the rules of any
other (``domain.confirmations``): queued for SMS Partner when the account
has a key, else handed back for the caller to send.

An item left undecided for ``STALE_AFTER`` is overdue: the dashboard and
``/metrics`` show how many there are.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection

from stoplist.domain import clock, confirmations, webhooks
from stoplist.domain.confirmations import Reply
from stoplist.domain.errors import (
    ReviewAlreadyDecided,
    ReviewItemNotFound,
    UnknownReasonableMeans,
)
from stoplist.domain.parameters import MAX_ID, present, whole_number
from stoplist.domain.reasonable_means import Recognised
from stoplist.domain.stops import StopList
from stoplist.observability import metrics
from stoplist.records.events import EventKind, NewEvent, Source
from stoplist.records.models import Account
from stoplist.storage import review as store
from stoplist.storage.database import Database

STALE_AFTER = 7 * 86_400 * clock.MICROS
"""An item undecided this long is overdue."""
MAX_PAGE = 1000
LISTABLE = ("pending", "confirmed", "dismissed", "all")
"""What a listing may ask for: one status, or every item."""
AUTOMATIC_ACTOR = "stoplist (reasonable means)"
"""Who the history names for an opt-out stoplist recognised on its own."""


class Mode(StrEnum):
    """What a message that plainly asks to stop does for an account."""

    OPTOUT = "optout"
    REVIEW = "review"
    OFF = "off"


DEFAULT_MODE = Mode.REVIEW


def parse_mode(raw: object) -> Mode:
    """``optout``, ``review`` or ``off`` (any case); ``UnknownReasonableMeans`` otherwise."""
    try:
        return Mode(str(raw).strip().lower())
    except ValueError:
        raise UnknownReasonableMeans(raw) from None


def mode_of(account: Account) -> Mode:
    """The account's mode; a value this release does not know reads as the default.

    Inbound messages must never fail over a setting: the safe reading of an
    unknown mode is to queue, which stops nothing and loses nothing.
    """
    try:
        return Mode(account.reasonable_means)
    except ValueError:
        return DEFAULT_MODE


class Status(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """A message that may be an opt-out, and what became of it."""

    id: int
    phone_number: str
    event_id: int
    message_at: int
    """When the person sent it: the opt-out time if it is confirmed."""
    text: str
    language: str
    phrase: str
    status: Status
    created_at: int
    decided_at: int | None = None
    decided_by: str | None = None
    decision_reason: str | None = None
    decision_event_id: int | None = None
    reply: Reply | None = None
    """Only on the answer of a confirmation: the opt-out confirmation it gave, if any."""

    def overdue(self, now: int) -> bool:
        return self.status is Status.PENDING and self.created_at < now - STALE_AFTER


@dataclass(frozen=True, slots=True)
class Backlog:
    """How many items wait, and how many of them are overdue."""

    pending: int
    overdue: int


def recognised_details(found: Recognised) -> dict[str, object]:
    """What an event keeps of the classifier's reading."""
    return {"language": found.language, "phrase": found.phrase}


def automatic_reason(found: Recognised) -> str:
    return f"asked to stop in other words ({found.language}): “{found.phrase}”"


class ReviewQueue:
    """One account's possible opt-outs."""

    def __init__(self, db: Database, account: Account) -> None:
        self.db = db
        self.account = account

    def items(
        self, *, status: Status | None = Status.PENDING, limit: int = 100, after: int | None = None
    ) -> list[ReviewItem]:
        """Oldest first; ``status`` None for every item."""
        with self.db.read() as conn:
            rows = store.items(
                conn,
                self.account.id,
                status=status.value if status else None,
                limit=max(1, min(limit, MAX_PAGE)),
                after=after,
            )
        return [_item(row) for row in rows]

    def recent_decisions(self, limit: int = 20) -> list[ReviewItem]:
        """The latest confirmed or dismissed items, newest decision first."""
        with self.db.read() as conn:
            rows = store.decided(conn, self.account.id, limit=max(1, min(limit, MAX_PAGE)))
        return [_item(row) for row in rows]

    def get(self, item_id: object) -> ReviewItem:
        parsed = parse_item_id(item_id)
        with self.db.read() as conn:
            row = store.find(conn, self.account.id, parsed)
        if row is None:
            raise ReviewItemNotFound()
        return _item(row)

    def backlog(self) -> Backlog:
        with self.db.read() as conn:
            pending, overdue = store.pending_counts(
                conn, self.account.id, clock.now_us() - STALE_AFTER
            )
        return Backlog(pending, overdue)

    def confirm(
        self, item_id: object, *, source: Source, actor: str | None, reason: str | None
    ) -> ReviewItem:
        """Stop the number as of the message's time; ``ReviewAlreadyDecided`` if decided."""
        return self._decide(item_id, Status.CONFIRMED, source, actor, reason)

    def dismiss(
        self, item_id: object, *, source: Source, actor: str | None, reason: str | None
    ) -> ReviewItem:
        """Keep the message a reply; the decision is recorded on the number's history."""
        return self._decide(item_id, Status.DISMISSED, source, actor, reason)

    def _decide(
        self,
        item_id: object,
        status: Status,
        source: Source,
        actor: str | None,
        reason: str | None,
    ) -> ReviewItem:
        parsed = parse_item_id(item_id)
        stop_list = StopList(self.db, self.account)
        with self.db.write() as conn:
            self.db.lock_list(conn, self.account.id)
            row = store.find(conn, self.account.id, parsed)
            if row is None:
                raise ReviewItemNotFound()
            item = _item(row)
            if item.status is not Status.PENDING:
                raise ReviewAlreadyDecided(item.status.value)
            confirmed = status is Status.CONFIRMED
            event = NewEvent(
                phone_number=item.phone_number,
                kind=EventKind.OPT_OUT if confirmed else EventKind.DISMISSED,
                source=source,
                event_at=item.message_at if confirmed else None,
                text=item.text,
                actor=actor,
                reason=reason,
                details={
                    "reviewItem": item.id,
                    "messageEvent": item.event_id,
                    "language": item.language,
                    "phrase": item.phrase,
                },
            )
            recorded = stop_list.record_in(conn, event)
            reply = None
            if confirmed and not recorded.erased:
                reply = confirmations.reply_in(
                    conn,
                    self.account,
                    phone_number=item.phone_number,
                    kind=EventKind.OPT_OUT,
                    language=item.language,
                    event_id=recorded.event_id,
                    duplicate=recorded.duplicate,
                    stopped=recorded.stop_after is not None,
                )
            now = clock.now_us()
            store.decide(
                conn,
                self.account.id,
                item.id,
                status=status.value,
                decided_at=now,
                decided_by=actor,
                reason=reason,
                event_id=recorded.event_id,
            )
        if recorded.changed or (reply is not None and reply.queued):
            webhooks.wake()  # the confirmation sender shares the dispatcher's wake-up
        if recorded.changed:
            metrics.stop_changed(recorded.stop_after is not None, source)
        return replace(
            item,
            status=status,
            decided_at=now,
            decided_by=actor,
            decision_reason=reason,
            decision_event_id=recorded.event_id,
            reply=reply,
        )


def queue_in(
    conn: Connection,
    account: Account,
    *,
    phone_number: str,
    event_id: int,
    message_at: int,
    text: str,
    found: Recognised,
    duplicate: bool = False,
) -> int | None:
    """Queue a recorded message inside the caller's transaction; returns the item's id.

    A message delivered again is recorded once (its event is a duplicate), so
    it is queued once: the existing item is returned (None if the first
    delivery was not queued).
    """
    existing = store.find_by_event(conn, account.id, event_id)
    if existing is not None or duplicate:
        return int(existing.id) if existing is not None else None
    return store.insert_item(
        conn,
        account.id,
        phone_number=phone_number,
        event_id=event_id,
        message_at=message_at,
        text=text,
        language=found.language,
        phrase=found.phrase,
        created_at=clock.now_us(),
    )


def overdue_total(db: Database) -> Backlog:
    """Pending and overdue items over every account (for ``/metrics``)."""
    with db.read() as conn:
        pending, overdue = store.pending_counts(conn, None, clock.now_us() - STALE_AFTER)
    return Backlog(pending, overdue)


def parse_item_id(raw: object) -> int:
    """An item id as a client sent it; anything that is not one is simply not found."""
    value = whole_number(raw) if present(raw) else None
    if value is None or not 0 < value <= MAX_ID:
        raise ReviewItemNotFound()
    return value


def _item(row: Any) -> ReviewItem:
    return ReviewItem(
        id=row.id,
        phone_number=row.phone_number,
        event_id=row.event_id,
        message_at=row.message_at,
        text=row.text,
        language=row.language,
        phrase=row.phrase,
        status=Status(row.status),
        created_at=row.created_at,
        decided_at=row.decided_at,
        decided_by=row.decided_by,
        decision_reason=row.decision_reason,
        decision_event_id=row.decision_event_id,
    )
