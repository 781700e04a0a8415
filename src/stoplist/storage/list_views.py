"""An account's list seen two ways: a snapshot at a version, and the changes since a version.

These are all a kept rendering of a list needs from the database (see
``api.list_cache``). A ``ListVersion`` names one state of one list, and what
it is made of (the random version number of ``stops.touch_list`` and the
newest event behind it) stays here: above storage it is compared, written
down with ``token`` and read back with ``ListVersion.from_token``, nothing
more. Entries travel in ``EntryBatch`` columns, never as row tuples.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection

from stoplist.storage import bulk
from stoplist.storage import stops as stop_store
from stoplist.storage.chain import is_erased_stand_in
from stoplist.storage.stops import Watermark

_TOKEN_PARTS = 3


@dataclass(frozen=True, slots=True)
class ListVersion:
    """One state of one account's list, in one database's history.

    ``number`` is what renderings are filed under; ``_mark`` is the newest
    event the state had seen (None: the list never changed), the point from
    which ``changes_since`` can tell what moved. Two databases, or one
    restored from a backup, may reuse event ids but not their receipt times,
    so a version from another history is never taken for one of this one.
    """

    number: int
    _mark: Watermark | None

    def token(self) -> str:
        """The version as text, to be kept beside a rendering and read back later."""
        if self._mark is None:
            return f"{self.number}"
        return f"{self.number}.{self._mark[0]}.{self._mark[1]}"

    @classmethod
    def from_token(cls, text: str) -> ListVersion | None:
        """The version written by ``token``; None for anything else."""
        parts = text.split(".")
        if not all(part.isascii() and part.lstrip("-").isdigit() for part in parts):
            return None
        if len(parts) == 1:
            return cls(int(parts[0]), None)
        if len(parts) != _TOKEN_PARTS:
            return None
        return cls(int(parts[0]), (int(parts[1]), int(parts[2])))


@dataclass(frozen=True, slots=True)
class EntryBatch:
    """Consecutive entries of a list in id order, one column per field.

    ``sources`` and ``values`` (each number's digits read as an integer, see
    ``domain.number_arrays``) are there only when asked for.
    """

    ids: Sequence[int]
    numbers: Sequence[str]
    created_at: Sequence[int]
    sources: Sequence[str] | None = None
    values: Sequence[int] | None = None

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def last_id(self) -> int:
        return self.ids[-1]

    @classmethod
    def from_rows(
        cls, rows: Sequence[Sequence[object]], *, with_source: bool, with_value: bool
    ) -> EntryBatch:
        """Columns from the driver's rows, laid out as ``stops.iter_batches`` reads them."""
        columns = list(zip(*rows, strict=True))
        sources = columns[3] if with_source else None
        values = columns[3 + with_source] if with_value else None
        return cls(columns[0], columns[1], columns[2], sources, values)


@dataclass(frozen=True, slots=True)
class ListSnapshot:
    """The list as one transaction sees it: ``total`` entries, delivered in ``batches``.

    ``more`` says that entries past the asked ``limit`` exist (the next page
    is not empty); ``version`` is the state the snapshot shows.
    """

    total: int
    batches: Generator[EntryBatch, None, None]
    version: ListVersion
    more: bool = False

    def close(self) -> None:
        """Close the cursor behind ``batches``, read to the end or not.

        Its owner must call this before the transaction ends. Left to the
        garbage collector (a failure keeps the generator alive in its
        traceback), the cursor would be closed later, on whatever thread
        collects it, over a connection the pool has since lent to another
        request: on PostgreSQL that aborts the other request's transaction,
        or blocks it for good when it is in the middle of a read itself.
        """
        self.batches.close()


@dataclass(frozen=True, slots=True)
class Bounds:
    """Which entries a snapshot lists: created in ``[since, until)``, ids past ``after``, at
    most ``limit`` of them. The default is the whole list."""

    since: int | None = None
    until: int | None = None
    after: int | None = None
    limit: int | None = None


def open_snapshot(
    conn: Connection,
    account_id: int,
    bounds: Bounds = Bounds(),
    *,
    with_source: bool = False,
    with_value: bool = False,
) -> ListSnapshot:
    """The list in ``conn``'s transaction, which must keep one view (a snapshot read)."""
    since, until, after, limit = bounds.since, bounds.until, bounds.after, bounds.limit
    count = stop_store.count(conn, account_id, since=since, until=until, after=after)
    total = count if limit is None else min(count, limit)
    rows = stop_store.iter_batches(
        conn, account_id, since=since, until=until, after=after, limit=limit,
        with_source=with_source, with_value=with_value,
    )  # fmt: skip
    batches = _columns(rows, with_source=with_source, with_value=with_value)
    return ListSnapshot(total, batches, _version(conn, account_id), count > total)


@dataclass(frozen=True, slots=True)
class ListChanges:
    """How a list differs from an earlier version of it, read in one snapshot.

    Only ``numbers`` may have another entry than at the earlier version, or
    none; every other entry is as it was. ``stop_ids`` are their entries now.
    """

    version: ListVersion
    numbers: list[str]
    stop_ids: dict[str, int]
    _conn: Connection
    _account_id: int

    def entries(self, after: int, through: int | None) -> Iterator[EntryBatch]:
        """The entries now with ``after < id <= through`` (no upper bound for None), with values."""
        rows = stop_store.iter_batches(
            self._conn, self._account_id, after=after, through=through, with_value=True
        )
        return _columns(rows, with_source=False, with_value=True)


def changes_since(conn: Connection, account_id: int, since: ListVersion) -> ListChanges | None:
    """What changed after ``since``, in ``conn``'s snapshot; None if that cannot be told.

    Every change to a stop is recorded with an event in the same
    transaction, and an account's changes commit one at a time in the order
    their events are numbered, so the numbers with later events are all the
    numbers that may have changed. None when ``since`` is not a point of this
    database's history (restored from a backup, replaced) or never saw one,
    and after an erasure, whose events name no number.
    """
    mark = since._mark
    if mark is None or not stop_store.in_history(conn, mark):
        return None
    version = _version(conn, account_id)
    if since.number == version.number:
        return ListChanges(version, [], {}, conn, account_id)
    numbers, now = stop_store.numbers_changed_since(conn, account_id, mark)
    if any(is_erased_stand_in(number) for number in numbers):
        return None  # an erasure took a number off the list without naming it
    stop_ids = bulk.find_stops(conn, account_id, numbers)
    return ListChanges(ListVersion(version.number, now), numbers, stop_ids, conn, account_id)


def current_version(conn: Connection, account_id: int) -> ListVersion:
    """The list's version as ``conn``'s transaction sees it."""
    return _version(conn, account_id)


def _version(conn: Connection, account_id: int) -> ListVersion:
    return ListVersion(
        stop_store.list_version(conn, account_id), stop_store.watermark(conn, account_id)
    )


def _columns(
    rows: Generator[Sequence[Sequence[object]], None, None],
    *,
    with_source: bool,
    with_value: bool,
) -> Generator[EntryBatch, None, None]:
    try:
        for batch in rows:
            if batch:
                yield EntryBatch.from_rows(batch, with_source=with_source, with_value=with_value)
    finally:
        rows.close()  # now, not when the collector finds it: it holds a cursor
