"""Renderings of whole lists kept on disk, sent like static files and patched on change.

Listing a million stops means reading a million rows and encoding each one,
several times slower than sending a file of the same bytes. Each
account's list has a version that moves in the very transaction that changes
one of its stops, so a rendering made from a snapshot at version V is
exactly the answer for as long as the version is V (``storage.list_views``).

A copy is three files: the answer itself; ``.rows``, the ``(number, id)``
pairs it lists; and ``.meta``, the version its snapshot showed and its
segments (runs of entries between two ids, with their place in the answer).
When the version has moved, the changes since that version name the only
numbers whose entries may differ (``StopList.changes_since``): the
segments that held or now hold them are rendered again from the database and
every other segment is copied byte for byte from the previous answer. A new
STOP therefore costs a segment or two, not the whole list. Too many changes,
or no previous copy, and the list is rendered from the database as it
streams out, keeping a copy on the way.

Only whole lists (no paging, no date bounds) of at least ``MIN_ROWS``
entries are kept. Files are written under temporary names and renamed when
complete (the answer last), so no reader ever sees half of one, and workers
racing to write the same version are harmless. Writing a version removes the
account's other ones; an answer already sending one keeps its open file.

``api.kept_lists.KeptCopyRenderer`` is the ``ListRenderer`` that answers from them.
(Over 400 lines on purpose: a copy's file layout, its writing and its
patching change together, and splitting them would spread one format.)
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
import numpy.typing as npt
import orjson

from stoplist.api.file_ranges import copy_range
from stoplist.domain.number_arrays import e164_value
from stoplist.domain.stops import StopList
from stoplist.http import render
from stoplist.http.negotiation import Format
from stoplist.storage.database import Database
from stoplist.storage.list_views import EntryBatch, ListChanges, ListSnapshot, ListVersion

logger = logging.getLogger("stoplist")

MIN_ROWS = 10_000
SEGMENT_ROWS = 5000
MAX_CHANGED_NUMBERS = 20_000
MAX_CHANGED_SHARE_OF_ROWS = 0.1
"""A patch looks up every changed number: past the larger of these, render instead."""
MAX_CHANGED_SHARE = 0.25
"""Past this share of segments to render again (and ``MIN_CHANGED_SEGMENTS``),
rendering everything is about as quick."""
MIN_CHANGED_SEGMENTS = 8
_READ_SIZE = 1024 * 1024
_PAIR_BYTES = 16  # a (number, id) pair of int64 in a ``.rows`` file
_PAIRS_PER_READ = 1 << 18  # 4 MiB of pairs read at a time by a patch
_STALE_TEMPORARY_SECONDS = 3600

LocalTime = Callable[[int], str]


@dataclass(frozen=True, slots=True)
class RenderingKey:
    """What a whole-list answer depends on besides the rows themselves."""

    account_id: int
    format: Format
    zone: str
    version: int

    @property
    def family(self) -> str:
        """The name shared by every version of this account's list in this format and zone."""
        zone = hashlib.sha256(self.zone.encode()).hexdigest()[:12]
        return f"{self.format_family}{zone}-"

    @property
    def format_family(self) -> str:
        """The name shared by this account's lists in this format, in any zone."""
        return f"list-{self.account_id}-{self.format}-"

    @property
    def filename(self) -> str:
        return f"{self.family}{self.version}"

    def at(self, version: int) -> RenderingKey:
        return RenderingKey(self.account_id, self.format, self.zone, version)


@dataclass(slots=True)
class _Segment:
    """Entries with ids after the previous segment's ``through`` up to this one's."""

    rows: int
    through: int | None  # None: no upper bound (the last segment)
    offset: int
    length: int


@dataclass(slots=True)
class _Meta:
    version: str  # ``ListVersion.token``: where ``changes_since`` starts from
    segments: list[_Segment] = field(default_factory=list)
    rows_sorted: bool = False  # written by earlier versions; the pairs' order is not relied on

    def dump(self) -> bytes:
        return orjson.dumps(asdict(self))

    @classmethod
    def load(cls, data: bytes) -> _Meta:
        """A ``.meta`` file; ``ValueError`` for one this code did not write."""
        try:
            raw = orjson.loads(data)
            segments = [_Segment(**segment) for segment in raw["segments"]]
            return cls(str(raw["version"]), segments, bool(raw["rows_sorted"]))
        except (KeyError, TypeError) as error:
            raise ValueError(f"not a kept list's description: {error!r}") from error


class ListCache:
    """The directory of kept renderings (``None``: nothing is kept)."""

    def __init__(self, directory: Path | None, *, min_rows: int = MIN_ROWS) -> None:
        self.directory = directory
        self.min_rows = min_rows

    @classmethod
    def for_database(cls, db: Database, configured: str | None = None) -> ListCache:
        """In the ``configured`` directory (``off``: nowhere), else beside the SQLite file.

        A PostgreSQL database has no file to sit beside: each machine keeps
        its own copies where it is told to (they are all patched from the
        same list versions).
        """
        configured = (configured or "").strip()
        if configured.lower() == "off":
            return cls(None)
        if configured:
            return cls(Path(configured))
        if not db.is_sqlite:
            return cls(None)
        path = db.engine.url.database
        if not path or path == ":memory:":
            return cls(None)
        return cls(Path(f"{path}-lists"))

    @property
    def enabled(self) -> bool:
        return self.directory is not None

    def forget(self, account_id: int) -> int:
        """Remove every kept copy of the account's list (all formats and zones); how many
        files went. After an erasure: a copy would still name the number."""
        if self.directory is None or not self.directory.is_dir():
            return 0
        prefix, removed = f"list-{account_id}-", 0
        try:
            paths = [path for path in self.directory.iterdir() if path.name.startswith(prefix)]
        except OSError as error:  # the erasure stands: a copy left is replaced at next listing
            logger.warning("cannot read %s: %s", self.directory, error)
            return 0
        for path in paths:
            try:
                path.unlink(missing_ok=True)
                removed += 1
            except OSError as error:
                logger.warning("cannot remove %s: %s", path, error)
        return removed

    def open(self, key: RenderingKey) -> tuple[BinaryIO, int] | None:
        """The kept answer for ``key`` and its size, opened for reading, if there is one."""
        if self.directory is None:
            return None
        try:
            file = (self.directory / key.filename).open("rb")
        except OSError:
            return None
        return file, os.fstat(file.fileno()).st_size

    def refresh(
        self, stop_list: StopList, key: RenderingKey, local_time: LocalTime
    ) -> tuple[BinaryIO, int] | None:
        """Patch the most recent other copy up to the list as it is now, and open the result.

        None when there is no copy to start from or too much has changed;
        the caller then renders the list from the database.
        """
        if self.directory is None:
            return None
        base = self._latest_other(key)
        if base is None:
            return None
        try:
            version = _patch(self.directory, base, key, stop_list, local_time)
        except (OSError, ValueError) as error:  # a copy removed meanwhile, a full disk
            logger.warning("cannot patch the kept list: %s", error)
            return None
        except Exception as error:  # never fail the answer: render it from the database
            logger.error("cannot patch the kept list", exc_info=error)
            return None
        return None if version is None else self.open(key.at(version))

    def keep(
        self, snapshot: ListSnapshot, key: RenderingKey, local_time: LocalTime
    ) -> Iterator[bytes] | None:
        """The whole list's answer, keeping a copy as it goes; None if not worth keeping.

        ``snapshot`` must carry the numbers' values. The copy is kept only if
        every chunk went through: an answer cut short (the client went away,
        the database failed) leaves nothing behind.
        """
        if self.directory is None or snapshot.total < self.min_rows:
            return None
        return self._render(snapshot, key, local_time)

    def _render(
        self, snapshot: ListSnapshot, key: RenderingKey, local_time: LocalTime
    ) -> Iterator[bytes]:
        assert self.directory is not None
        copy = _Copy.start(self.directory, key, _Meta(snapshot.version.token()))

        def keep(write: Callable[[_Copy], None]) -> None:
            """One write of the copy; failing (a full disk) gives up the copy, not the answer."""
            nonlocal copy
            if copy is None:
                return
            try:
                write(copy)
            except OSError as error:
                logger.warning("cannot keep a copy of the list: %s", error)
                copy.abandon()
                copy = None

        complete = False
        try:
            head = render.list_head(key.format, snapshot.total)
            keep(lambda copy: copy.write(head))
            yield head
            separator = b""
            for batch in snapshot.batches:
                entries = render.list_rows(key.format, batch, local_time)
                keep(lambda copy: copy.segment(separator, entries, batch, batch.last_id))  # noqa: B023 (called at once)
                yield separator + entries
                separator = render.LIST_SEPARATOR[key.format]
            tail = render.list_tail(key.format)
            keep(lambda copy: copy.write(tail))
            yield tail
            complete = True
        finally:
            if copy is not None:
                if complete:
                    copy.finish()
                else:
                    copy.abandon()

    def _latest_other(self, key: RenderingKey) -> RenderingKey | None:
        """The most recently written other version of this list, if any.

        Versions are random (see ``touch_list``), so recency comes from the
        files; whether it can be patched at all is for ``changes_since`` to say.
        """
        assert self.directory is not None
        newest: tuple[float, str] | None = None
        try:
            entries = list(os.scandir(self.directory))
        except OSError:
            return None
        for entry in entries:
            name = entry.name
            if name.startswith(key.family) and name.endswith(".meta"):
                version = name.removeprefix(key.family).removesuffix(".meta")
                if _is_version(version) and int(version) != key.version:
                    try:
                        written = entry.stat().st_mtime
                    except OSError:
                        continue
                    if newest is None or written > newest[0]:
                        newest = (written, version)
        return None if newest is None else key.at(int(newest[1]))


def _is_version(text: str) -> bool:
    return text.isascii() and text.isdigit()


def read_file(file: BinaryIO) -> Iterator[bytes]:
    """A kept answer in large reads; the file is closed at the end or if abandoned."""
    with file:
        while chunk := file.read(_READ_SIZE):
            yield chunk


def _patch(
    directory: Path,
    base: RenderingKey,
    key: RenderingKey,
    stop_list: StopList,
    local_time: LocalTime,
) -> int | None:
    """Write the copy for the list's current version from ``base``; returns that version."""
    meta = _Meta.load((directory / f"{base.filename}.meta").read_bytes())
    since = ListVersion.from_token(meta.version)
    if since is None:
        return None
    with (
        (directory / base.filename).open("rb") as old,
        (directory / f"{base.filename}.rows").open("rb") as old_pairs,
    ):
        with stop_list.changes_since(since) as changes:
            rows = sum(segment.rows for segment in meta.segments)
            most = max(MAX_CHANGED_NUMBERS, MAX_CHANGED_SHARE_OF_ROWS * rows)
            if changes is None or len(changes.numbers) > most:
                return None
            if changes.version.number == base.version:
                return base.version  # the copy is the list as it is now
            held = _held_rows(old_pairs, changes)
            touched = _touched_segments(meta.segments, held, changes)
            if len(touched) > max(MIN_CHANGED_SEGMENTS, MAX_CHANGED_SHARE * len(meta.segments)):
                return None
            fresh = {
                index: _render_range(meta.segments, index, changes, key.format, local_time)
                for index in sorted(touched)
            }
        version = changes.version
        patched = _Meta(version.token())
        copy = _Copy.start(directory, key.at(version.number), patched, pairs_by_segment=False)
        if copy is None:
            return None
        try:
            _write_patched(copy, old, meta, fresh, key.format)
            copy.patched_pairs(old_pairs, held[:, 0], changes)
        except BaseException:
            copy.abandon()
            raise
        copy.finish()
        return version.number


_Rendered = list[tuple[bytes, EntryBatch, int | None]]
"""A range rendered again: ``(entries, batch, through)`` per new segment."""


def _held_rows(pairs: BinaryIO, changes: ListChanges) -> npt.NDArray[np.int64]:
    """``(row, stop id)`` of the old copy's entries for a changed number, in row order.

    The ``.rows`` file is read ``_PAIRS_PER_READ`` pairs at a time, so memory
    stays flat however long the list (a patch holds these few rows, never
    the file's pairs: 160 MB at ten million stops).
    """
    values = np.unique(np.array([e164_value(number) for number in changes.numbers], dtype=np.int64))
    found: list[npt.NDArray[np.int64]] = []
    first = 0
    pairs.seek(0)
    while len(chunk := np.fromfile(pairs, dtype=np.int64, count=2 * _PAIRS_PER_READ)):
        chunk = chunk.reshape(-1, 2)
        if len(values):
            at = np.searchsorted(values, chunk[:, 0])
            at[at == len(values)] = 0
            rows = np.flatnonzero(values[at] == chunk[:, 0])
            if len(rows):
                found.append(np.column_stack((rows + first, chunk[rows, 1])))
        first += len(chunk)
    if not found:
        return np.zeros((0, 2), dtype=np.int64)
    return np.concatenate(found)


def _touched_segments(
    segments: list[_Segment], held: npt.NDArray[np.int64], changes: ListChanges
) -> set[int]:
    """Segments that held one of the changed numbers, or will hold its entry now."""
    throughs = np.array([s.through if s.through is not None else 2**62 for s in segments])
    touched: set[int] = set(np.searchsorted(throughs, held[:, 1]).tolist())
    if changes.stop_ids:
        ids = np.fromiter(changes.stop_ids.values(), dtype=np.int64)
        touched.update(np.searchsorted(throughs, ids).tolist())
    return {min(index, len(segments) - 1) for index in touched}


def _render_range(
    segments: list[_Segment],
    index: int,
    changes: ListChanges,
    fmt: Format,
    local_time: LocalTime,
) -> _Rendered:
    """Segment ``index``'s id range as it is now, cut into segments of at most SEGMENT_ROWS."""
    after = segments[index - 1].through if index > 0 else 0
    through = segments[index].through
    batches = list(changes.entries(after or 0, through))
    ids = [i for batch in batches for i in batch.ids]
    if not ids:
        return [(b"", EntryBatch((), (), (), values=()), through)]
    numbers = [n for batch in batches for n in batch.numbers]
    created = [c for batch in batches for c in batch.created_at]
    values = [v for batch in batches for v in batch.values or ()]
    pieces: _Rendered = []
    for start in range(0, len(ids), SEGMENT_ROWS):
        end = start + SEGMENT_ROWS
        piece = EntryBatch(
            ids[start:end], numbers[start:end], created[start:end], values=values[start:end]
        )
        last = end >= len(ids)
        entries = render.list_rows(fmt, piece, local_time)
        pieces.append((entries, piece, through if last else piece.last_id))
    return pieces


def _write_patched(
    copy: _Copy, old: BinaryIO, meta: _Meta, fresh: dict[int, _Rendered], fmt: Format
) -> None:
    total = sum(
        sum(len(batch) for _, batch, _ in fresh[index]) if index in fresh else segment.rows
        for index, segment in enumerate(meta.segments)
    )
    copy.write(render.list_head(fmt, total))
    separator = render.LIST_SEPARATOR[fmt]
    started = False  # a separator goes before every entry but the first
    for index, segment in enumerate(meta.segments):
        if index in fresh:
            for body, batch, through in fresh[index]:
                copy.segment(separator if started and body else b"", body, batch, through)
                started = started or bool(body)
        else:
            copy.copied_segment(separator if started and segment.length else b"", old, segment)
            started = started or bool(segment.length)
    copy.write(render.list_tail(fmt))


@dataclass(slots=True)
class _Copy:
    """A copy being written under temporary names."""

    directory: Path
    key: RenderingKey
    meta: _Meta
    answer: BinaryIO
    pairs: BinaryIO
    temporaries: tuple[Path, ...]
    size: int = 0
    pairs_by_segment: bool = True
    """Whether each rendered segment appends its pairs (a patched copy writes them apart)."""

    @classmethod
    def start(
        cls, directory: Path, key: RenderingKey, meta: _Meta, *, pairs_by_segment: bool = True
    ) -> _Copy | None:
        token = uuid.uuid4().hex
        answer = directory / f".{key.filename}.{token}.tmp"
        pairs = directory / f".{key.filename}.rows.{token}.tmp"
        try:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)  # phone numbers: owner only
            files = (answer.open("wb"), pairs.open("wb"))
            return cls(directory, key, meta, *files, (answer, pairs), 0, pairs_by_segment)
        except OSError as error:
            logger.warning("cannot keep a copy of the list in %s: %s", directory, error)
            return None

    def write(self, data: bytes) -> None:
        """Append ``data``; an ``OSError`` (a full disk) means the copy must be abandoned."""
        self.answer.write(data)
        self.size += len(data)

    def segment(
        self, separator: bytes, body: bytes, batch: EntryBatch, through: int | None
    ) -> None:
        """Append one segment's entries, and its pairs unless written apart."""
        self.write(separator)
        self.meta.segments.append(_Segment(len(batch), through, self.size, len(body)))
        if self.pairs_by_segment and len(batch):
            assert batch.values is not None
            pairs = np.column_stack((np.array(batch.values), np.array(batch.ids)))
            pairs.astype(np.int64).tofile(self.pairs)
        self.write(body)

    def copied_segment(self, separator: bytes, old: BinaryIO, segment: _Segment) -> None:
        self.write(separator)
        self.answer.flush()
        self.meta.segments.append(
            _Segment(segment.rows, segment.through, self.size, segment.length)
        )
        copy_range(old.fileno(), self.answer.fileno(), segment.offset, segment.length)
        self.answer.seek(0, os.SEEK_END)
        self.size += segment.length

    def patched_pairs(
        self, old: BinaryIO, dropped: npt.NDArray[np.int64], changes: ListChanges
    ) -> None:
        """The old copy's pairs but its ``dropped`` rows, then the changed numbers' entries now.

        The kept runs are copied in the kernel, between the dropped rows;
        the order of the pairs means nothing (a patch scans them all).
        """
        self.pairs.flush()
        size = os.fstat(old.fileno()).st_size
        start = 0
        for row in dropped.tolist():
            copy_range(old.fileno(), self.pairs.fileno(), start, row * _PAIR_BYTES - start)
            start = (row + 1) * _PAIR_BYTES
        copy_range(old.fileno(), self.pairs.fileno(), start, size - start)
        self.pairs.seek(0, os.SEEK_END)
        added = [(e164_value(number), stop_id) for number, stop_id in changes.stop_ids.items()]
        np.array(added, dtype=np.int64).reshape(-1, 2).tofile(self.pairs)

    def finish(self) -> None:
        if self.meta.segments:
            self.meta.segments[-1].through = None  # later ids land in the last segment
        name = self.key.filename
        meta = self.directory / f".{name}.meta.{uuid.uuid4().hex}.tmp"
        self.temporaries = (*self.temporaries, meta)
        try:
            self.answer.close()
            self.pairs.close()
            meta.write_bytes(self.meta.dump())
            os.replace(self.temporaries[1], self.directory / f"{name}.rows")
            os.replace(meta, self.directory / f"{name}.meta")
            os.replace(self.temporaries[0], self.directory / name)
        except OSError as error:
            logger.warning("cannot keep a copy of the list: %s", error)
            self.abandon()
            return
        self._remove_others()

    def abandon(self) -> None:
        """Close and remove the temporaries; never raises (closing flushes, which can fail)."""
        for file in (self.answer, self.pairs):
            with contextlib.suppress(OSError):
                file.close()
        for path in self.temporaries:
            try:
                path.unlink(missing_ok=True)
            except OSError as error:
                logger.warning("cannot remove %s: %s", path, error)

    def _remove_others(self) -> None:
        """Drop this list's other versions, and temporaries left by a crashed worker.

        Copies in another time zone go too: an account has one zone at a time.
        """
        family, keep = self.key.format_family, self.key.filename
        stale_before = time.time() - _STALE_TEMPORARY_SECONDS
        for path in self.directory.iterdir():
            name = path.name
            try:
                replaced = name.startswith(family) and name.split(".")[0] != keep
                abandoned = name.endswith(".tmp") and path.stat().st_mtime < stale_before
                if replaced or abandoned:
                    path.unlink(missing_ok=True)
            except OSError:
                continue
