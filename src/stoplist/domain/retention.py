"""Retention: message texts are kept for an account's period, then blanked.

What a person wrote (an event's ``text``, and the copy a review item keeps)
is personal data that a suppression list needs only for a while: long enough
to prove how someone opted out in a dispute, not for ever. Each account has
a period (``DEFAULT_DAYS``, three years, unless changed); a sweep blanks every
text whose event is older than that, by event time.

What stays is what the list needs: the number, the stop, every event's kind,
source, provider, times, who acted and why, and the chain. The chain hashes
a digest of each text, not the text (``storage.chain``), and the digest is
kept, so ``stoplist audit verify`` and the evidence still prove the history
after blanking. Each sweep that blanked something is an event of the account
(``EventKind.RETENTION``, naming no number), chained with the rest: when,
under which period, from which cutoff, how many texts. A compliance officer
sees in the history itself, and in its export, that texts were removed on
schedule and not by hand; one event per sweep rather than per text, since a
first sweep may blank millions of texts that all say the same.

Sweeps work in batches of ``BATCH`` rows, each its own transaction, so a
first sweep over years of history never holds the writer for long and an
interrupted one simply goes on at the next run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from stoplist.domain import clock
from stoplist.domain.errors import InvalidRetentionDays
from stoplist.records.events import ACCOUNT_WIDE, Event, EventKind, NewEvent, Source
from stoplist.records.models import Account
from stoplist.storage import retention as store
from stoplist.storage.accounts import list_all
from stoplist.storage.database import Database

DEFAULT_DAYS = 1095
"""Three years: long enough for the disputes a business meets, then no longer."""
LOWEST_DAYS = 1
HIGHEST_DAYS = 36_500
BATCH = 1_000
_DAY_US = 86_400 * clock.MICROS
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def period_start(days: int, now: int) -> int:
    """The instant before which something is past a period of ``days`` at ``now``."""
    return now - days * _DAY_US


def parse_days(value: object) -> int:
    """A retention period in days, or ``InvalidRetentionDays``."""
    try:
        days = int(str(value).strip())
    except ValueError:
        raise InvalidRetentionDays(value, LOWEST_DAYS, HIGHEST_DAYS) from None
    if not LOWEST_DAYS <= days <= HIGHEST_DAYS:
        raise InvalidRetentionDays(value, LOWEST_DAYS, HIGHEST_DAYS)
    return days


@dataclass(frozen=True, slots=True)
class Sweep:
    """One recorded sweep of an account: its event, read back."""

    event_id: int
    ran_at: int
    retention_days: int
    cutoff: int
    texts_blanked: int
    review_texts_blanked: int
    source: Source
    actor: str | None

    @classmethod
    def of(cls, event: Event) -> Sweep:
        details = event.details
        cutoff = clock.to_us(datetime.fromisoformat(str(details["cutoff"])))
        return cls(
            event.id,
            event.event_at,
            int(str(details["retentionDays"])),
            cutoff,
            int(str(details["textsBlanked"])),
            int(str(details["reviewTextsBlanked"])),
            event.source,
            event.actor,
        )


def sweep_event(
    *,
    days: int,
    cutoff: int,
    texts: int,
    review_texts: int,
    source: Source,
    actor: str | None,
) -> NewEvent:
    """The event that records a sweep (``details`` says what it did; the chain hashes it)."""
    return NewEvent(
        ACCOUNT_WIDE,
        EventKind.RETENTION,
        source,
        actor=actor,
        details={
            "retentionDays": days,
            "cutoff": (_EPOCH + timedelta(microseconds=cutoff)).isoformat(),
            "textsBlanked": texts,
            "reviewTextsBlanked": review_texts,
        },
    )


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one sweep of one account did."""

    account: Account
    retention_days: int
    cutoff: int
    texts_blanked: int
    review_texts_blanked: int
    event_id: int | None
    """The sweep's event (None: nothing was old enough, nothing recorded)."""


class Retention:
    """One account's retention period and its sweeps."""

    def __init__(self, db: Database, account: Account) -> None:
        self.db = db
        self.account = account

    def days(self) -> int:
        with self.db.read() as conn:
            return store.retention_days(conn, self.account.id)

    def set_days(self, value: object) -> int:
        days = parse_days(value)
        with self.db.write() as conn:
            store.set_retention_days(conn, self.account.id, days)
        return days

    def history(self, limit: int = 20) -> list[Sweep]:
        with self.db.read() as conn:
            return [Sweep.of(event) for event in store.sweeps(conn, self.account.id, limit)]

    def apply(
        self,
        *,
        now: int | None = None,
        batch: int = BATCH,
        source: Source = Source.SCHEDULE,
        actor: str | None = None,
    ) -> Outcome:
        """Blank every text older than the period (by event time), batch by batch.

        The sweep's event is recorded when it blanked anything, in the last
        batch's transaction, so it never claims more than was done.
        """
        ran_at = clock.now_us() if now is None else now
        days = self.days()
        cutoff = period_start(days, ran_at)
        account_id = self.account.id
        events = reviews = 0
        event_id: int | None = None
        while True:
            with self.db.write() as conn:
                done = store.blank_event_texts(conn, account_id, cutoff, batch)
                if done < batch:
                    done_reviews = store.blank_review_texts(conn, account_id, cutoff, batch)
                else:
                    done_reviews = 0
                events += done
                reviews += done_reviews
                finished = done < batch and done_reviews < batch
                if finished and (events or reviews):
                    sweep = sweep_event(
                        days=days,
                        cutoff=cutoff,
                        texts=events,
                        review_texts=reviews,
                        source=source,
                        actor=actor,
                    )
                    event_id = store.record_sweep(conn, account_id, sweep, ran_at)
            if finished:
                return Outcome(self.account, days, cutoff, events, reviews, event_id)


def apply_all(
    db: Database,
    accounts: list[Account],
    *,
    now: int | None = None,
    source: Source = Source.SCHEDULE,
    actor: str | None = None,
) -> list[Outcome]:
    """Sweep each account in turn (the server's periodic task, ``retention apply``)."""
    return [
        Retention(db, account).apply(now=now, source=source, actor=actor) for account in accounts
    ]


def apply_everywhere(db: Database) -> list[Outcome]:
    """Sweep every account (the server's hourly task)."""
    with db.read() as conn:
        accounts = list_all(conn)
    return apply_all(db, accounts)
