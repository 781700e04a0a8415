"""One account's stop list: what a stop is and how events change it.

A number is stopped when its latest state-changing event (by event time) is an
opt-out. The ``stops`` table is that state, kept in step with the events in
the same transaction, so that listing and checking never replay history.
Every method is scoped to the account the list was opened for.

The module is longer than most: recording an event (duplicates, erased
numbers, the opt-out a sync alone made, the entry it leaves) is one piece,
and every way into the list goes through it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from stoplist.domain import clock, webhooks
from stoplist.domain.errors import AlreadyStopped, StopErased, StopIdRequired, StopNotFound
from stoplist.domain.numbers import normalize, normalize_sender
from stoplist.domain.parameters import MAX_ID, present, whole_number
from stoplist.observability import metrics
from stoplist.records.events import Event, EventKind, NewEvent, Source, effective_event_time
from stoplist.records.models import Account, Stop
from stoplist.storage import chain, list_views
from stoplist.storage import erasures as erasure_store
from stoplist.storage import events as event_store
from stoplist.storage import stops as stop_store
from stoplist.storage.database import Database
from stoplist.storage.list_views import Bounds, ListChanges, ListSnapshot, ListVersion


@dataclass(frozen=True, slots=True)
class Recorded:
    """The outcome of recording one event."""

    event_id: int
    duplicate: bool
    stop_before: Stop | None
    stop_after: Stop | None
    erased: bool = False
    """The number was erased (``domain.erasure``): the event was kept without it."""

    @property
    def changed(self) -> bool:
        return (self.stop_before is None) != (self.stop_after is None)


@dataclass(frozen=True, slots=True)
class ErasedNumbers:
    """An account's erased numbers, known only by their keyed hash (``number_digest``).

    A number whose erasure the person lifted is not stopped by it, but its
    earlier opt-out and the opt-in that lifted it are kept under its
    stand-in, where a look-up by number does not find them: ``find`` tells.
    """

    _mac: chain.KeyedSha256
    """The number key's HMAC, set up once: an import asks it about every number of a file."""
    _known: dict[bytes, erasure_store.ErasedMark]

    def find(self, number: str) -> erasure_store.ErasedMark | None:
        """The number's erasure, lifted or not (``number`` in E.164); None: never erased."""
        return self._known.get(self._mac.digest(number.encode()))

    @staticmethod
    def erased_since(
        before: ErasedNumbers | None, now: ErasedNumbers | None
    ) -> ErasedNumbers | None:
        """The erasures of ``now`` that suppress a number ``before`` did not (None: none)."""
        if now is None:
            return None
        known = before._known if before is not None else {}
        newer = {
            digest: mark
            for digest, mark in now._known.items()
            if not mark.lifted and (digest not in known or known[digest].lifted)
        }
        return ErasedNumbers(now._mac, newer) if newer else None

    def stop_id(self, number: str) -> int | None:
        """The stop an erased number keeps; None when it was never erased or was lifted."""
        mark = self.find(number)
        return mark.stop_id if mark is not None and not mark.lifted else None


class StopList:
    def __init__(self, db: Database, account: Account) -> None:
        self.db = db
        self.account = account

    def normalize(self, raw: object) -> str:
        """The E.164 form of ``raw`` under this account's default region."""
        return normalize(raw, self.account.default_region)

    def normalize_sender(self, raw: object) -> str:
        """The E.164 form of an inbound SMS's sender (see ``numbers.normalize_sender``)."""
        return normalize_sender(raw, self.account.default_region)

    def find(self, raw: object) -> Stop | None:
        """The number's entry, or the one it keeps once erased (see ``erased``)."""
        number = self.normalize(raw)
        with self.db.read() as conn:
            found = stop_store.find_by_number(conn, self.account.id, number)
            return found or self._erased_stop(conn, number)

    def erased(self, raw: object) -> erasure_store.ErasedEntry | None:
        """The number's erasure, if it was erased (``domain.erasure``) and still is."""
        number = self.normalize(raw)
        with self.db.read() as conn:
            return erasure_store.find(conn, self.account.id, number_digest(conn, number))

    def get(self, stop_id: object) -> Stop:
        parsed = parse_stop_id(stop_id)
        with self.db.read() as conn:
            stop = stop_store.find_by_id(conn, self.account.id, parsed)
        if stop is None:
            raise StopNotFound()
        return stop

    def add(
        self,
        raw: object,
        *,
        source: Source = Source.API,
        actor: str | None = None,
        reason: str | None = None,
    ) -> Stop:
        """Put a number on the list now; ``AlreadyStopped`` if it is there.

        An add of a number only a sync stopped is remembered all the same
        (``_reaffirm``), and still answered ``AlreadyStopped``.
        """
        number = self.normalize(raw)
        new = NewEvent(number, EventKind.OPT_OUT, source, actor=actor, reason=reason)
        try:
            with self.db.write() as conn:
                self.db.lock_list(conn, self.account.id)
                existing = stop_store.find_by_number(conn, self.account.id, number)
                if existing is not None:
                    self._reaffirm(conn, new, existing)
                existing = existing or self._erased_stop(conn, number)
                if existing is None:
                    recorded = self._record(conn, new)
        except IntegrityError:
            existing = self.find(number)
            if existing is None:
                raise
            raise AlreadyStopped(existing.id) from None
        if existing is not None:
            raise AlreadyStopped(existing.id)  # after the commit, which keeps a reaffirmation
        webhooks.wake()
        metrics.stop_changed(True, source)
        assert recorded.stop_after is not None
        return recorded.stop_after

    def delete(
        self,
        stop_id: object,
        *,
        source: Source = Source.API,
        actor: str | None = None,
        reason: str | None = None,
    ) -> Stop:
        """Take an entry off the list, recording an opt-in; the history stays."""
        parsed = parse_stop_id(stop_id)
        with self.db.write() as conn:
            # Locked before the entry is read: an erasure committed in between would
            # otherwise see this opt-in lift it, and only the person may do that.
            self.db.lock_list(conn, self.account.id)
            stop = stop_store.find_by_id(conn, self.account.id, parsed)
            if stop is None:
                if erasure_store.find_by_stop_id(conn, self.account.id, parsed) is not None:
                    raise StopErased()
                raise StopNotFound()
            new = NewEvent(stop.phone_number, EventKind.OPT_IN, source, actor=actor, reason=reason)
            self._record(conn, new)
        webhooks.wake()
        metrics.stop_changed(False, source)
        return stop

    def record(self, new: NewEvent) -> Recorded:
        """Record an event (once per provider message) and apply it to the list."""
        with self.db.write() as conn:
            self.db.lock_list(conn, self.account.id)
            recorded = self._record(conn, new)
        if recorded.changed:
            webhooks.wake()
            metrics.stop_changed(recorded.stop_after is not None, new.source)
        return recorded

    def record_in(self, conn: Connection, new: NewEvent) -> Recorded:
        """``record`` inside a transaction the caller owns (for batches and outboxes).

        Outgoing webhooks are queued in that transaction; call
        ``webhooks.wake()`` after committing to send them without waiting for
        the dispatcher's next poll.
        """
        self.db.lock_list(conn, self.account.id)
        return self._record(conn, new)

    def erased_lookup(self) -> ErasedNumbers | None:
        """The numbers erased on the account, or None: the account erased none.

        Read after the list itself (by ``filter``, by an import): a number
        erased in between is then off the list but already here, so no
        number is ever seen as neither.
        """
        with self.db.read() as conn:
            return self.erased_lookup_in(conn)

    def erased_lookup_in(self, conn: Connection) -> ErasedNumbers | None:
        """``erased_lookup`` in the caller's transaction."""
        known = erasure_store.digests(conn, self.account.id)
        if not known:
            return None
        return ErasedNumbers(chain.chain_keys(conn).number_mac, known)

    def history(self, raw: object) -> tuple[str, list[Event]]:
        """The number's events, every one, those kept under its erased stand-in included."""
        number = self.normalize(raw)
        with self.db.read() as conn:
            stand_in = chain.erased_stand_in(number_digest(conn, number))
            return number, event_store.history(conn, self.account.id, number, stand_in=stand_in)

    def count(self) -> int:
        with self.db.read() as conn:
            return stop_store.count(conn, self.account.id)

    @contextmanager
    def snapshot(
        self,
        bounds: Bounds = Bounds(),  # noqa: B008 (frozen: one shared value is harmless)
        *,
        with_source: bool = False,
        with_value: bool = False,
    ) -> Iterator[ListSnapshot]:
        """The list at one version, open until the block ends; its count and entries agree."""
        with self.db.read(snapshot=True) as conn:
            snapshot = list_views.open_snapshot(
                conn, self.account.id, bounds, with_source=with_source, with_value=with_value
            )
            try:
                yield snapshot
            finally:
                snapshot.close()

    @contextmanager
    def changes_since(self, version: ListVersion) -> Iterator[ListChanges | None]:
        """What changed after a snapshot's ``version``, open until the block ends.

        None when that cannot be told (see ``storage.list_views.changes_since``):
        the caller then starts again from a snapshot.
        """
        with self.db.read(snapshot=True) as conn:
            yield list_views.changes_since(conn, self.account.id, version)

    def version(self) -> int | None:
        """The number of the list's current version (see ``ListVersion``); None: no account."""
        return stop_store.current_list_version(self.db, self.account.id)

    def _reaffirm(self, conn: Connection, new: NewEvent, stop: Stop) -> bool:
        """Record ``new``, an opt-out of a number on the list, when only a sync stopped it.

        An add of a number already on the list changes nothing and usually
        records nothing. But a number that only mirrored upstreams stopped
        would then be taken off again when they drop it (``domain.sync``,
        deletions mirrored), though the business stopped it too: its
        opt-out is recorded, and the entry keeps its id and date. Imports
        do the same in bulk (``storage.synced_entries``). ``stop`` is read
        under the list's lock; returns whether ``new`` was recorded.
        """
        if stop.source != Source.SYNC.value or not _synced_only(conn, stop):
            return False
        self._record(conn, new)
        return True

    def _erased_stop(self, conn: Connection, number: str) -> Stop | None:
        """The entry an erased number keeps (it names the number only in memory)."""
        entry = erasure_store.find(conn, self.account.id, number_digest(conn, number))
        if entry is None:
            return None
        return Stop(entry.stop_id, self.account.id, number, entry.created_at, entry.source)

    def _record(self, conn: Connection, new: NewEvent) -> Recorded:
        if chain.is_erased_stand_in(new.phone_number):
            raise StopErased()  # an erased number's stand-in is never a number to record
        account_id = self.account.id
        before = stop_store.find_by_number(conn, account_id, new.phone_number)
        stand_in: str | None = None
        if before is None or new.kind.changes_state:
            digest = number_digest(conn, new.phone_number)
            erased = erasure_store.lookup(conn, account_id, digest)
            if erased is not None and erased.lifted_at is None:
                return self._record_erased(conn, new, digest, erased)
            if erased is not None:
                # Lifted: its events up to the lift, the opt-in included, are its stand-in's.
                stand_in = chain.erased_stand_in(digest)
        seen, new = self._redelivery(conn, new, new.phone_number, *filter(None, (stand_in,)))
        if seen is not None:
            return Recorded(seen.id, True, before, before)
        received_at = clock.now_us() if new.received_at is None else new.received_at
        event_id = event_store.insert_event(
            conn,
            account_id,
            new,
            event_at=effective_event_time(new.event_at, received_at),
            received_at=received_at,
        )
        after = (
            self._reconcile(conn, new.phone_number, before, stand_in)
            if new.kind.changes_state
            else before
        )
        recorded = Recorded(event_id, False, before, after)
        if recorded.changed:
            self._notify(conn, new, recorded, received_at)
        return recorded

    def _redelivery(
        self, conn: Connection, new: NewEvent, stored_as: str, *also: str
    ) -> tuple[Event | None, NewEvent]:
        """The event ``new`` redelivers, among those kept under ``stored_as`` (where ``new``
        is to be recorded) or ``also``; if none, ``new`` under the id it is to be recorded
        with (``storage.events.match_message``)."""
        if not (new.provider and new.provider_message_id):
            return None, new
        free_id = new.provider_message_id
        for named in (stored_as, *also):
            match = event_store.match_message(
                conn,
                self.account.id,
                new.provider,
                new.provider_message_id,
                named,
                new.text,
                changes_state=new.kind.changes_state,
            )
            if match.seen is not None:
                return match.seen, new
            if named == stored_as:
                free_id = match.free_id
        return None, replace(new, provider_message_id=free_id)

    def _record_erased(
        self, conn: Connection, new: NewEvent, digest: bytes, erased: erasure_store.ErasedEntry
    ) -> Recorded:
        """Record an event of an erased number without writing the number or its text.

        The number stays suppressed: an opt-out changes nothing, and only an
        opt-in dated after the erasure (the person asking again) lifts it.
        Its outgoing webhooks are not queued, since their payload would name
        the number again.
        """
        account_id = self.account.id
        stand_in = chain.erased_stand_in(digest)
        stop = Stop(erased.stop_id, account_id, new.phone_number, erased.created_at, erased.source)
        seen, new = self._redelivery(conn, new, stand_in)
        if seen is not None:
            return Recorded(seen.id, True, stop, stop, erased=True)
        received_at = clock.now_us() if new.received_at is None else new.received_at
        event_at = effective_event_time(new.event_at, received_at)
        event_id = event_store.insert_event(
            conn, account_id, new, event_at=event_at, received_at=received_at, erased=True
        )
        if (
            new.kind is EventKind.OPT_IN
            and event_at > erased.erased_at
            and self._ranks_last(conn, stand_in, event_id)
        ):
            erasure_store.lift(conn, account_id, digest, at=event_at, event_id=event_id)
            return Recorded(event_id, False, stop, None, erased=True)
        return Recorded(event_id, False, stop, stop, erased=True)

    def _ranks_last(self, conn: Connection, stand_in: str, event_id: int) -> bool:
        """Whether the opt-in ``event_id`` is the erased number's latest-ranked state event:
        one dated after the erasure can still share a second with a STOP that outranks it."""
        latest = event_store.latest_state_event(conn, self.account.id, stand_in)
        return latest is not None and latest.id == event_id

    def _notify(
        self, conn: Connection, new: NewEvent, recorded: Recorded, received_at: int
    ) -> None:
        """Queue the account's outgoing webhooks in this same transaction."""
        event = new.recorded(recorded.event_id, self.account.id, received_at=received_at)
        stop = recorded.stop_after or recorded.stop_before
        stop_ids = {event.id: stop.id} if stop else None
        webhooks.enqueue(conn, self.account, [event], stop_ids=stop_ids)

    def _reconcile(
        self, conn: Connection, number: str, current: Stop | None, stand_in: str | None = None
    ) -> Stop | None:
        """Make the stops row agree with the number's latest state-changing event.

        ``stand_in``: the number's erasure was lifted, and its events up to the
        lift (the person's opt-in among them) name that stand-in; they count
        as the number's, so that an opt-out dated before the lift (a late
        message, a mirrored upstream stop) leaves it off, as for any number.
        """
        account_id = self.account.id
        latest = event_store.latest_state_event(conn, account_id, number, stand_in)
        if latest is None or latest.kind is EventKind.OPT_IN:
            if current is not None:
                stop_store.delete_stop(conn, account_id, current.id)
            return None
        last_opt_in = event_store.latest_opt_in(conn, account_id, number, stand_in)
        first = event_store.first_opt_out_after(conn, account_id, number, last_opt_in, stand_in)
        assert first is not None  # ``latest`` itself is such an opt-out
        if current is None:
            return stop_store.insert_stop(
                conn,
                account_id,
                number,
                created_at=first.event_at,
                source=first.source.value,
                event_id=first.id,
            )
        if first.event_at != current.created_at:
            # An opt-in that arrives late can make a later opt-out the first one of the
            # current stop, as well as an early opt-out an earlier one: the entry starts
            # with the first opt-out after the last opt-in, whatever the order of arrival.
            stop_store.update_created_at(conn, account_id, current.id, first.event_at)
            return Stop(current.id, account_id, number, first.event_at, current.source)
        return current


def _synced_only(conn: Connection, stop: Stop) -> bool:
    """Whether every opt-out since the number's last opt-in came from a sync.

    The question ``domain.sync`` asks before mirroring a deletion (there, of
    one upstream), read the same way: newest first as events rank, down to
    the last opt-in.
    """
    for event in event_store.history(conn, stop.account_id, stop.phone_number):
        if event.kind is EventKind.OPT_IN:
            return True
        if event.kind is EventKind.OPT_OUT and event.source is not Source.SYNC:
            return False
    return True


def number_digest(conn: Connection, number: str) -> bytes:
    """The keyed hash an erased number is kept as (the chain's digest of the number)."""
    return chain.number_digest(chain.chain_keys(conn), number)


def parse_stop_id(raw: object) -> int:
    """A stop id as sent by a client; anything that is not one is simply not found."""
    if not present(raw):
        raise StopIdRequired()
    value = whole_number(raw)
    if value is None or not 0 < value <= MAX_ID:
        raise StopNotFound()
    return value
