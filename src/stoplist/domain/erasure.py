"""Erasure: a person's number and texts removed at their request, while they stay suppressed.

A person may ask a business to erase what it holds about them (GDPR
article 17); a suppression list must still recognise them, or they would be
texted again. Erasing a number therefore leaves only its keyed hash (the
chain's ``number_digest``, keyed by the secrets key file, so the database
alone cannot tell which number it was) with the stop the number had:

- the number leaves the list (``list``, exports) and every event, review
  item and confirmation of it names its stand-in instead (a prefix of the
  digest, ``chain.erased_stand_in``); event texts are blanked, while their
  digests stay, so the chain still verifies; webhook deliveries of its
  events and pieces of its long messages are deleted;
- ``check``, ``filter``, ``add``, imports and inbound messages hash the
  numbers they are given and still find it: it is stopped, with the stop id
  and date it had, and nothing about it is written in clear again;
- an opt-in from the person dated after the erasure (a START) lifts it; a
  ``delete`` of its entry is refused, since only the person may undo it.
  A lifted erasure keeps its row, marked lifted: the number is no longer
  stopped by it, and an import still learns that the person opted in
  (those events name the stand-in). Erasing the number again reuses the row.

The erasure is an event of its own (kind ``erased``) in the number's
history, with who asked and why. A number not on the list is stopped first
(an opt-out event whose reason says so), then erased: a request to be
forgotten is also a request to be left alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from stoplist.domain import clock
from stoplist.domain.stops import StopList, number_digest
from stoplist.observability import metrics
from stoplist.records.events import EventKind, NewEvent, Source
from stoplist.storage import chain
from stoplist.storage import erasures as store
from stoplist.storage import events as event_store
from stoplist.storage import stops as stop_store

STOPPED_FOR_ERASURE = "stopped for erasure"
"""The reason of the opt-out recorded when an erased number was not on the list."""


@dataclass(frozen=True, slots=True)
class Erased:
    """What an erasure did; ``already`` when the number was erased before (nothing changed)."""

    phone_number: str
    stop_id: int
    erased_at: int
    event_id: int
    already: bool
    concealed: store.Concealed | None = None


def erase(
    stop_list: StopList,
    raw: object,
    *,
    source: Source = Source.API,
    actor: str | None = None,
    reason: str | None = None,
) -> Erased:
    """Erase one number of the list's account, in one transaction under the list's lock."""
    number = stop_list.normalize(raw)
    account_id = stop_list.account.id
    db = stop_list.db
    with db.write() as conn:
        db.lock_list(conn, account_id)
        digest = number_digest(conn, number)
        found = store.find(conn, account_id, digest)
        if found is not None:
            return Erased(number, found.stop_id, found.erased_at, found.event_id, True)
        stop = stop_store.find_by_number(conn, account_id, number)
        if stop is None:
            opt_out = NewEvent(
                number, EventKind.OPT_OUT, source, actor=actor, reason=STOPPED_FOR_ERASURE
            )
            stop = stop_list.record_in(conn, opt_out).stop_after
        assert stop is not None  # an opt-out dated now is the latest state event
        erased_at = clock.now_us()
        event_id = event_store.insert_event(
            conn,
            account_id,
            NewEvent(number, EventKind.ERASED, source, actor=actor, reason=reason),
            event_at=erased_at,
            received_at=erased_at,
            erased=True,
        )
        stand_in = chain.erased_stand_in(digest)
        concealed = store.conceal(
            conn, account_id, number, stand_in, store.Erasure(event_id, erased_at, actor)
        )
        entry = store.ErasedEntry(stop.id, stop.created_at, stop.source, erased_at, event_id)
        store.save_entry(conn, account_id, digest, entry)
        stop_store.delete_stop(conn, account_id, stop.id)  # after the event: its watermark
    metrics.number_erased(source)
    return Erased(number, stop.id, erased_at, event_id, False, concealed)
