"""Each account's list held in memory for bulk membership tests, and kept exact.

Filtering 100,000 numbers against a million stops through SQL costs one index
probe per number. Held as a sorted array of the numbers' integers (see
``number_arrays``) with their stop ids beside them, 16 bytes a stop, the same
question is one vectorised binary search.

An index is never trusted blindly. Before each use the account's list version
(``storage.stops.touch_list``) is compared with the one the index was read at;
when it moved, the numbers with events recorded since are looked up again (a
change to a stop always comes with an event in the same transaction) and
their current entries override the array. The index is read again from
scratch past ``MAX_CHANGES`` such numbers, or when the newest event it had
seen is no longer there (the database was restored or replaced). A filter
therefore sees every change committed before it started, as a SQL lookup
would.

A process keeps the indexes of the ``MAX_ACCOUNTS`` accounts that filtered
last. A list of more than ``MAX_INDEXED_STOPS`` stops is not held at all:
its filters look the numbers up in the database instead (``DatabaseLookup``,
one set-at-a-time probe per ``_PROBE_BATCH`` numbers), so a worker's memory
is bounded whatever the lists' lengths (an index and its build take at most
32 bytes a stop, 64 MB at the cap).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from sqlalchemy import Connection

from stoplist.domain.number_arrays import Values, e164_value
from stoplist.domain.stops import StopList
from stoplist.storage import bulk, list_views
from stoplist.storage import stops as stop_store
from stoplist.storage.list_views import ListVersion

MAX_ACCOUNTS = 8
MAX_CHANGES = 50_000
MAX_INDEXED_STOPS = 2_000_000
"""Past this many stops a list is looked up in the database instead of held."""
_PROBE_BATCH = 20_000
NOT_STOPPED = 0
"""The stop id ``lookup`` gives a number that is not on the list (ids start at 1)."""


@dataclass(frozen=True, slots=True)
class ListIndex:
    seen: ListVersion
    """The list's version the index shows (``changes_since`` starts from it)."""
    numbers: Values
    stop_ids: Values
    changed: dict[int, int] = field(default_factory=dict)
    """Number -> stop id (``NOT_STOPPED`` when it left the list), since the arrays were read."""

    @property
    def version(self) -> int:
        return self.seen.number

    def lookup(self, values: Values) -> Values:
        """The stop id of each number given as its integer (``NOT_STOPPED`` if none)."""
        if len(self.numbers):
            # Searching in order walks the array once instead of jumping about it.
            order = np.argsort(values)
            wanted = values[order]
            at = np.searchsorted(self.numbers, wanted)
            at[at == len(self.numbers)] = 0
            found = np.empty(len(values), dtype=np.int64)
            found[order] = np.where(self.numbers[at] == wanted, self.stop_ids[at], NOT_STOPPED)
        else:
            found = np.full(len(values), NOT_STOPPED, dtype=np.int64)
        if self.changed:
            keys = np.fromiter(self.changed, dtype=np.int64, count=len(self.changed))
            for position in np.flatnonzero(np.isin(values, keys)):
                found[position] = self.changed[int(values[position])]
        return found


class Lookup(Protocol):
    """What ``StopIndexes.current`` gives: stop ids for numbers, at one list version."""

    @property
    def version(self) -> int: ...

    def lookup(self, values: Values) -> Values:
        """The stop id of each number given as its integer (``NOT_STOPPED`` if none)."""
        ...


@dataclass(frozen=True, slots=True)
class DatabaseLookup:
    """A list too long to hold: each ``lookup`` asks the database, in one snapshot.

    It holds no stop, only the version it was last seen at and how far the
    list may have moved since it was counted (``drift``): past ``MAX_CHANGES``
    changed numbers it is counted again, since it may have become short
    enough to hold. Every ``lookup`` reads the list as committed when it
    starts, so it sees what an index brought up to date would.
    """

    stop_list: StopList
    seen: ListVersion
    drift: int = 0

    @property
    def version(self) -> int:
        return self.seen.number

    def lookup(self, values: Values) -> Values:
        unique = np.unique(values)
        found_unique = np.full(len(unique), NOT_STOPPED, dtype=np.int64)
        account_id = self.stop_list.account.id
        with self.stop_list.db.read(snapshot=True) as conn:
            for start in range(0, len(unique), _PROBE_BATCH):
                part = [f"+{value}" for value in unique[start : start + _PROBE_BATCH].tolist()]
                stopped = bulk.find_stops(conn, account_id, part)
                if stopped:
                    ids = [stopped.get(number, NOT_STOPPED) for number in part]
                    found_unique[start : start + len(part)] = ids
        return found_unique[np.searchsorted(unique, values)]


class StopIndexes:
    """The indexes one process keeps, by account."""

    def __init__(
        self,
        max_accounts: int = MAX_ACCOUNTS,
        max_changes: int = MAX_CHANGES,
        max_indexed: int = MAX_INDEXED_STOPS,
    ) -> None:
        self._indexes: OrderedDict[int, ListIndex | DatabaseLookup] = OrderedDict()
        self._locks: dict[int, threading.Lock] = {}
        self._guard = threading.Lock()
        self._max_accounts = max_accounts
        self._max_changes = max_changes
        self._max_indexed = max_indexed

    def current(self, stop_list: StopList) -> Lookup | None:
        """The account's index, up to date with every committed change (None: no account)."""
        version = stop_list.version()
        if version is None:
            return None
        account_id = stop_list.account.id
        with self._guard:
            index = self._indexes.get(account_id)
            lock = self._locks.setdefault(account_id, threading.Lock())
        if index is not None and index.version == version:
            self._remember(account_id, index)
            return index
        with lock:  # one reader per account; the others wait for its result
            index = self._indexes.get(account_id)
            if index is None or index.version != stop_list.version():
                index = _refreshed(stop_list, index, self._max_changes, self._max_indexed)
            self._remember(account_id, index)
        return index

    def _remember(self, account_id: int, index: ListIndex | DatabaseLookup) -> None:
        with self._guard:
            self._indexes[account_id] = index
            self._indexes.move_to_end(account_id)
            while len(self._indexes) > self._max_accounts:
                forgotten, _ = self._indexes.popitem(last=False)
                self._locks.pop(forgotten, None)


def _refreshed(
    stop_list: StopList,
    index: ListIndex | DatabaseLookup | None,
    max_changes: int,
    max_indexed: int,
) -> ListIndex | DatabaseLookup:
    account_id = stop_list.account.id
    with stop_list.db.read(snapshot=True) as conn:
        if index is not None:
            changes = list_views.changes_since(conn, account_id, index.seen)
            if isinstance(index, DatabaseLookup):
                if changes is not None and index.drift + len(changes.numbers) <= max_changes:
                    return DatabaseLookup(
                        stop_list, changes.version, index.drift + len(changes.numbers)
                    )
            elif changes is not None and len(index.changed) + len(changes.numbers) <= max_changes:
                changed = dict(index.changed)
                for number in changes.numbers:
                    changed[e164_value(number)] = changes.stop_ids.get(number, NOT_STOPPED)
                return ListIndex(changes.version, index.numbers, index.stop_ids, changed)
        version = list_views.current_version(conn, account_id)
        total = stop_store.count(conn, account_id)
        if total > max_indexed:
            return DatabaseLookup(stop_list, version)
        return _read_index(conn, account_id, version, total)


def _read_index(conn: Connection, account_id: int, version: ListVersion, total: int) -> ListIndex:
    """The list's arrays, filled in place: at most 32 bytes a stop while they are built."""
    numbers = np.empty(total, dtype=np.int64)
    stop_ids = np.empty(total, dtype=np.int64)
    filled = 0
    for batch in stop_store.iter_number_values(conn, account_id):
        pairs = np.array(batch, dtype=np.int64).reshape(-1, 2)
        numbers[filled : filled + len(pairs)] = pairs[:, 0]
        stop_ids[filled : filled + len(pairs)] = pairs[:, 1]
        filled += len(pairs)
    if filled != total:  # the snapshot read both: only a broken database gets here
        raise RuntimeError(f"counted {total} stops, read {filled}")
    order = np.argsort(numbers)
    stop_ids = stop_ids[order]
    numbers.sort()
    return ListIndex(version, numbers, stop_ids)
