"""Mirroring a stop list held by an upstream account (SMS Partner, or another stoplist).

A run first pulls the *whole* upstream list; only when that succeeded does it
change anything locally, so an upstream failing midway leaves nothing
half-applied. Each upstream entry then becomes one opt-out event (source
``sync``) keyed by the upstream and the upstream's stop id, so recording it
again is a no-op: a rerun after any interruption simply finishes the job, and
cron may run it as often as it likes.

The opt-out carries the upstream's ``createdAt`` as its event time, so the
usual rule applies: a number opted in here *after* it was stopped upstream
stays opted in. A number that disappears upstream is only reported, unless
deletions are mirrored; even then it is taken off the local list only when
this upstream is the sole reason it is there, never when the person also
opted out through another channel, or the business added it again by hand
or in an import (``StopList.add`` and ``storage.synced_entries`` record
that add, though the number was on the list already).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Literal, Protocol, TypeVar

from sqlalchemy import Connection

from stoplist.domain import clock
from stoplist.domain.errors import StoplistError
from stoplist.domain.stops import StopList
from stoplist.records.events import EventKind, NewEvent, Source
from stoplist.storage import events as event_store
from stoplist.storage import stops as stop_store
from stoplist.storage.sync import PROVIDER_PREFIX, recorded_upstream_events

_BATCH = 500
_REMOVED_SUFFIX = ":removed"
_T = TypeVar("_T")

Phase = Literal["pull", "record"]
Progress = Callable[[Phase, int, int | None], None]
"""Told ``(phase, done, total)`` as a run goes: entries pulled (total unknown
until the end), then new entries recorded (out of how many)."""


class UpstreamStop(Protocol):
    """One entry of the upstream list: its stop id, number and stop time."""

    @property
    def id(self) -> int: ...

    @property
    def phone_number(self) -> str: ...

    @property
    def created_at(self) -> datetime: ...


class Upstream(Protocol):
    """Where a stop list is mirrored from.

    ``stoplist.client.Client`` is one; the CLI hands it in, so the domain does
    not depend on the HTTP client. ``iter_stops`` raises on any failure.
    """

    @property
    def base_url(self) -> str: ...

    def iter_stops(self, *, page_size: int) -> Iterator[UpstreamStop]: ...


@dataclass(frozen=True, slots=True)
class Change:
    phone_number: str
    upstream_id: int


@dataclass(slots=True)
class SyncReport:
    """What one run did, and what it found but left alone."""

    upstream: str
    upstream_total: int = 0
    added: list[Change] = field(default_factory=list)
    unchanged: int = 0
    opted_in_here: list[Change] = field(default_factory=list)
    removed_upstream: list[Change] = field(default_factory=list)
    deleted: list[Change] = field(default_factory=list)
    kept: list[Change] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.deleted)


def upstream_provider(base_url: str) -> str:
    """The ``provider`` of this upstream's events: short, stable, and not a secret."""
    normalized = base_url.strip().rstrip("/").lower()
    return PROVIDER_PREFIX + hashlib.sha256(normalized.encode()).hexdigest()[:16]


def pull(
    upstream: Upstream, *, page_size: int = 1000, progress: Progress | None = None
) -> list[UpstreamStop]:
    """The whole upstream list, or the upstream's error: never a part of it."""
    entries: list[UpstreamStop] = []
    for entry in upstream.iter_stops(page_size=page_size):
        entries.append(entry)
        if progress and len(entries) % _BATCH == 0:
            progress("pull", len(entries), None)
    if progress:
        progress("pull", len(entries), len(entries))
    return entries


def sync_from(
    upstream: Upstream,
    stop_list: StopList,
    *,
    mirror_deletes: bool = False,
    page_size: int = 1000,
    progress: Progress | None = None,
) -> SyncReport:
    """Pull the upstream list, then apply it to ``stop_list``."""
    entries = pull(upstream, page_size=page_size, progress=progress)
    return apply(
        stop_list, upstream.base_url, entries, mirror_deletes=mirror_deletes, progress=progress
    )


def apply(
    stop_list: StopList,
    upstream_url: str,
    entries: Iterable[UpstreamStop],
    *,
    mirror_deletes: bool = False,
    progress: Progress | None = None,
) -> SyncReport:
    """Make ``stop_list`` reflect a complete upstream list (see the module docstring)."""
    provider = upstream_provider(upstream_url)
    report = SyncReport(upstream=upstream_url.rstrip("/"))
    current: dict[str, UpstreamStop] = {}
    for entry in sorted(entries, key=lambda e: e.id):
        report.upstream_total += 1
        try:
            number = stop_list.normalize(entry.phone_number)
        except StoplistError:
            report.invalid.append(entry.phone_number)
            continue
        current.setdefault(number, entry)
    seen, removed = _recorded(stop_list, provider)
    new = [(number, entry) for number, entry in current.items() if entry.id not in seen]
    report.unchanged = len(current) - len(new)
    undone = {seen[upstream_id] for upstream_id in removed if upstream_id in seen}
    done = 0
    if progress:
        progress("record", done, len(new))
    for batch in _batches(new):
        _add_batch(stop_list, provider, report, batch, undone)
        done += len(batch)
        if progress:
            progress("record", done, len(new))
    gone: dict[str, int] = {}
    for upstream_id, number in seen.items():
        if upstream_id not in removed and number not in current:
            gone[number] = max(upstream_id, gone.get(number, 0))
    for removals in _batches(sorted(gone.items())):
        _removal_batch(stop_list, provider, report, removals, mirror_deletes=mirror_deletes)
    return report


def _recorded(stop_list: StopList, provider: str) -> tuple[dict[int, str], set[int]]:
    """Upstream ids already mirrored (with their numbers), and those already undone."""
    with stop_list.db.read() as conn:
        rows = recorded_upstream_events(conn, stop_list.account.id, provider)
    seen: dict[int, str] = {}
    removed: set[int] = set()
    for number, message_id, kind in rows:
        if kind == EventKind.OPT_OUT.value and message_id.isdigit():
            seen[int(message_id)] = number
        elif kind == EventKind.OPT_IN.value and message_id.endswith(_REMOVED_SUFFIX):
            removed.add(int(message_id.removesuffix(_REMOVED_SUFFIX)))
    return seen, removed


def _add_batch(
    stop_list: StopList,
    provider: str,
    report: SyncReport,
    batch: list[tuple[str, UpstreamStop]],
    undone: set[str],
) -> None:
    with stop_list.db.write() as conn:
        for number, entry in batch:
            # A number whose upstream removal we mirrored and that is back
            # upstream was stopped again after that removal, whatever the
            # upstream's second-rounded createdAt says: it counts from now.
            event_at = None if number in undone else clock.to_us(entry.created_at)
            recorded = stop_list.record_in(
                conn,
                NewEvent(
                    number,
                    EventKind.OPT_OUT,
                    Source.SYNC,
                    event_at=event_at,
                    provider=provider,
                    provider_message_id=str(entry.id),
                    details={"upstream": report.upstream, "upstreamStopId": entry.id},
                ),
            )
            change = Change(number, entry.id)
            if recorded.duplicate:
                report.unchanged += 1
            elif recorded.changed:
                report.added.append(change)
            elif recorded.stop_after is None:
                report.opted_in_here.append(change)
            else:
                report.unchanged += 1


def _removal_batch(
    stop_list: StopList,
    provider: str,
    report: SyncReport,
    batch: list[tuple[str, int]],
    *,
    mirror_deletes: bool,
) -> None:
    account_id = stop_list.account.id
    with stop_list.db.write() as conn:
        for number, upstream_id in batch:
            stop_list.db.lock_list(conn, account_id)
            if stop_store.find_by_number(conn, account_id, number) is None:
                continue  # already off the list here: nothing to mirror
            change = Change(number, upstream_id)
            if not _only_from(conn, account_id, number, provider):
                report.kept.append(change)
            elif not mirror_deletes:
                report.removed_upstream.append(change)
            else:
                stop_list.record_in(
                    conn,
                    NewEvent(
                        number,
                        EventKind.OPT_IN,
                        Source.SYNC,
                        provider=provider,
                        provider_message_id=f"{upstream_id}{_REMOVED_SUFFIX}",
                        reason="removed upstream",
                        details={"upstream": report.upstream, "upstreamStopId": upstream_id},
                    ),
                )
                report.deleted.append(change)


def _only_from(conn: Connection, account_id: int, number: str, provider: str) -> bool:
    """Whether every opt-out ranked after the number's last opt-in came from this upstream
    (``records.events.ranking_time``: the history is in that order)."""
    for event in event_store.history(conn, account_id, number):
        if event.kind is EventKind.OPT_IN:
            return True
        if event.kind is EventKind.OPT_OUT and event.provider != provider:
            return False
    return True


def _batches(items: Iterable[_T]) -> Iterator[list[_T]]:
    iterator = iter(items)
    while batch := list(islice(iterator, _BATCH)):
        yield batch
