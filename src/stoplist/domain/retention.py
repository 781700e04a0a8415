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
after blanking. Each sweep that blanked something is recorded once for the
account (when, under which period, from which cutoff, how many texts): a
compliance officer sees that texts were removed on schedule, not by hand.

Sweeps work in batches of ``BATCH`` rows, each its own transaction, so a
first sweep over years of history never holds the writer for long and an
interrupted one simply goes on at the next run.
"""

from __future__ import annotations

from dataclasses import dataclass

from stoplist.domain import clock
from stoplist.domain.errors import InvalidRetentionDays
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
class Outcome:
    """What one sweep of one account did."""

    account: Account
    retention_days: int
    cutoff: int
    texts_blanked: int
    review_texts_blanked: int


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

    def history(self, limit: int = 20) -> list[store.Sweep]:
        with self.db.read() as conn:
            return store.sweeps(conn, self.account.id, limit)

    def apply(self, *, now: int | None = None, batch: int = BATCH) -> Outcome:
        """Blank every text older than the period (by event time), batch by batch.

        The sweep is recorded when it blanked anything, in the last batch's
        transaction, so the record never claims more than was done.
        """
        ran_at = clock.now_us() if now is None else now
        days = self.days()
        cutoff = ran_at - days * _DAY_US
        account_id = self.account.id
        events = reviews = 0
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
                    sweep = store.Sweep(ran_at, days, cutoff, events, reviews)
                    store.record_sweep(conn, account_id, sweep)
            if finished:
                return Outcome(self.account, days, cutoff, events, reviews)


def apply_all(db: Database, accounts: list[Account], *, now: int | None = None) -> list[Outcome]:
    """Sweep each account in turn (the server's periodic task, ``retention apply``)."""
    return [Retention(db, account).apply(now=now) for account in accounts]


def apply_everywhere(db: Database) -> list[Outcome]:
    """Sweep every account (the server's hourly task)."""
    with db.read() as conn:
        accounts = list_all(conn)
    return apply_all(db, accounts)
