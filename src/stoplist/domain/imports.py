"""Bulk import: putting a file of numbers on a stop list.

The rules, whatever the file's size:
- idempotent: importing the same file twice adds nothing the second time;
- additive only: nothing is removed, and an existing entry keeps its id and
  ``createdAt``;
- never reactivates: a number that is off the list because it was opted back
  in (a START, or an entry someone deleted) stays off; its latest state
  change is a decision an old file must not overturn. Such numbers are
  counted as ``opted_in``, a number whose erasure the person's opt-in lifted
  among them (its events are kept under its stand-in, ``_without_erased``);
- every number added gets its own opt-out event (source ``import``), exactly
  as if it had been added by hand, so its history says where it came from.
- a number already on the list gets no event, unless only a sync put it
  there: then the file's opt-out is recorded too, as an add by hand would
  be, so that mirroring the upstream's deletions keeps it
  (``storage.synced_entries``).

Input is a CSV or one number per line. Its first lines decide its delimiter,
whether the first is a header, and which column holds the numbers (see
``columns``), unless the caller names the column, or the file's format does
(the product's JSON and NDJSON exports, read by ``json_exports``). A file that yields no
valid number is an error (``NoNumbersFound``), never a success that added
nothing: an empty file, or one of blank lines only, too (an upload that came
through empty, an export that failed), so that the summary of a success
always names the column it read.

A failed import writes nothing: the numbers are written in one transaction,
on both databases, so a database error, a workbook that breaks halfway or a
killed process leaves the list as it was, and the next attempt starts
afresh. The file is staged first, which takes no lock: the account's other
writers (adds, deletes, inbound STOPs) go on while it is read or uploaded,
and wait only while the staged numbers are written, until the commit (on
SQLite the database has one writer, so every account's writers wait then).

A million lines take seconds, in memory that does not grow with the file:
- lines are read in blocks, and the usual ones (a canonical E.164 number,
  alone or as a plain CSV cell) are recognised by one regular expression per
  block (``canonical.number_regex``); any other line goes through the csv
  module and ``normalize`` one at a time, with exactly the same outcome;
- each batch of numbers (fifty thousand on SQLite, twenty thousand on
  PostgreSQL) goes into a temporary table keyed by number, which drops
  repeats as they come; at the end of the file the
  staged numbers are recorded and stopped in number order, a block at a
  time, so that every index takes its rows in one pass (``bulk.stage``).
  An account with no event and no stop when the import began needs no
  look-ups at all;
- so only a batch is ever held in the process, never the file, and the
  database's page caches for the import are bounded
  (``Database.bulk_connection``). Nor is a line: one longer than
  ``MAX_LINE_CHARS`` is an invalid line, skipped as it is read, and an
  invalid line's input is given back cut to ``MAX_ECHOED_CHARS``.

Over 400 lines on purpose: reading a file (its layout, its numbers, fast)
and writing its batches are one streaming pipeline whose steps hand each
other their state; apart, each would expose what the other must not rely on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from itertools import islice
from operator import methodcaller
from typing import Protocol

from sqlalchemy import Connection

from stoplist.domain import clock, webhooks
from stoplist.domain.canonical import calling_code, is_canonical, number_regex
from stoplist.domain.columns import (
    DELIMITERS,
    SAMPLE_LINES,
    KnownColumn,
    Layout,
    detect_layout,
    split,
)
from stoplist.domain.errors import InvalidPhoneNumber, NoNumbersFound, Reason, StoplistError
from stoplist.domain.stops import ErasedNumbers, StopList
from stoplist.observability import metrics
from stoplist.records.events import Event, EventKind, NewEvent, Source
from stoplist.storage import bulk, synced_entries
from stoplist.storage import sync as sync_store
from stoplist.storage import webhooks as webhook_store

MAX_REPORTED_INVALID = 10_000
"""Invalid lines listed in a report; the count is always exact."""
MAX_LINE_CHARS = 64 * 1024
"""The longest line read; a longer one is invalid (``line_too_long``) and never held whole.

A CRM export's line, dozens of columns and all, is a few KB; 64 KiB without a
line end is a file that has none (or is not text), whose "line" could be a
gigabyte.
"""
MAX_ECHOED_CHARS = 64
"""An invalid line's input is given back up to this many characters, then ``…``: enough
to find it in the file, where 10,000 echoed lines of 100 KB made a 1 GB answer."""

_SQLITE_BATCH = 50_000  # about 5 MB of numbers held at a time
_POSTGRES_BATCH = 20_000  # a few MB a batch, sent as one array
_BLOCK_CHARS = 1 << 20  # read from a stream at a time
_BLOCK_LINES = 1 << 16  # taken from an iterable of lines at a time
_MAX_FAST_CODES = 8  # calling codes recognised by the block expression
_MAX_RECORD_LINES = 100
"""Lines one quoted cell may span (an address, a note); past them the lines are read apart."""
_TILE = MAX_LINE_CHARS // 2
"""A line past ``MAX_LINE_CHARS`` covers a whole stretch this long without a line end."""
_SPACES = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())
"""What ``str.strip`` removes (U+3000 is the last such character)."""


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> str: ...


@dataclass(frozen=True, slots=True)
class _LongLine:
    """A line longer than ``MAX_LINE_CHARS``, in the place of its text."""

    start: str
    """Its first ``MAX_ECHOED_CHARS`` + 1 characters: enough to echo it, cut."""

    @classmethod
    def of(cls, text: str) -> _LongLine:
        """The long line that starts ``text``."""
        return cls(text[: MAX_ECHOED_CHARS + 1])


_Lines = list[str | _LongLine]
"""Lines one by one, each as given, a long one in its place."""


@dataclass(frozen=True, slots=True)
class InvalidLine:
    line: int
    input: str
    code: int
    reason: str | None = None
    """Why the number is invalid (``errors.Reason`` value); an empty cell is ``not_a_number``."""


@dataclass(slots=True)
class ImportReport:
    added: int = 0
    already_stopped: int = 0
    opted_in: int = 0
    invalid: int = 0
    invalid_lines: list[InvalidLine] = field(default_factory=list)
    lines: int = 0
    """Lines read, blank lines and the header included."""
    column: str | None = None
    """The column read: its header, or its position from 1 when the file has none."""
    column_number: int | None = None
    header: bool = False

    @property
    def numbers(self) -> int:
        """Valid numbers read, repeats included."""
        return self.added + self.already_stopped + self.opted_in

    def summary(self) -> dict[str, object]:
        """The counts under their wire names, as the API and the CLI print them."""
        return {
            "added": self.added,
            "alreadyStopped": self.already_stopped,
            "invalid": self.invalid,
            "invalidLines": [_invalid_entry(item) for item in self.invalid_lines],
            "optedIn": self.opted_in,
            "lines": self.lines,
            "column": self.column,
            "columnNumber": self.column_number,
            "header": self.header,
        }

    def _invalid(self, line: int, text: str, error: StoplistError) -> None:
        self.invalid += 1
        if len(self.invalid_lines) < MAX_REPORTED_INVALID:
            reason = _reason(error)
            self.invalid_lines.append(InvalidLine(line, _echoed(text), error.code, reason.value))


def _reason(error: StoplistError) -> Reason:
    """Why a line is invalid, as ``filter`` says it of the same input.

    An empty cell (code 2, ``PhoneNumberRequired``) has no reason of its
    own; it is not a number, as an empty item of a filter is, so every
    invalid line of a report says why.
    """
    reason = getattr(error, "reason", None)
    return reason if isinstance(reason, Reason) else Reason.NOT_A_NUMBER


@dataclass(frozen=True, slots=True)
class Preview:
    """The first rows of a file and how an import would read them (for a column picker)."""

    columns: tuple[str, ...]
    column: int | None
    """0-based, as detected or chosen; None when no column holds numbers."""
    header: bool
    rows: list[list[str]]
    """The first data rows' cells (the header excluded)."""


def preview(
    stop_list: StopList, text: _Readable, *, rows: int = 10, column: str | None = None
) -> Preview:
    """How ``import_numbers`` would read ``text``, and its first ``rows`` data rows.

    Raises ``NoNumbersFound`` for a file without a line but blank ones, as
    ``import_numbers`` does: there is no column to choose.
    """
    known = _known_column(text)
    parser = _Parser(stop_list, ImportReport(), column, known)
    sample: list[str] = []
    for block in _stream_blocks(text):
        if isinstance(block, list):
            continue  # a long line: no sample
        for raw in block.split("\n"):
            line = _bare(raw)
            if line:
                sample.append(line)
        if len(sample) >= SAMPLE_LINES:
            break
    sample = sample[:SAMPLE_LINES]
    if not sample:
        raise NoNumbersFound()
    if known is not None:
        cells = [[line.strip('"').strip()] for line in sample[:rows]]
        return Preview((known.name,), 0, False, cells)
    layout = detect_layout(sample, parser._is_number, column)
    data = sample[1:] if layout.header is not None else sample
    cells = [[cell.strip() for cell in split(line, layout.delimiter)] for line in data[:rows]]
    return Preview(layout.column_names(), layout.column, layout.header is not None, cells)


def _echoed(text: str) -> str:
    return text if len(text) <= MAX_ECHOED_CHARS else text[:MAX_ECHOED_CHARS] + "…"


def _invalid_entry(item: InvalidLine) -> dict[str, object]:
    entry: dict[str, object] = {"line": item.line, "input": item.input, "code": item.code}
    if item.reason is not None:
        entry["reason"] = item.reason
    return entry


def import_numbers(
    stop_list: StopList,
    lines: Iterable[str] | _Readable,
    *,
    source: Source = Source.IMPORT,
    actor: str | None = None,
    progress: Callable[[int], None] | None = None,
    batch_size: int | None = None,
    column: str | None = None,
    writing: Callable[[], None] | None = None,
) -> ImportReport:
    """Add every valid number of ``lines`` that is not, and never was, on the list.

    ``lines`` are the file's lines (with or without their line ends), or a
    text stream to read them from in large blocks (lines end at ``\\n``);
    ``progress`` is called with the number of lines handled after each batch
    (``batch_size`` numbers read, repeats included; by default what suits the
    database). ``column`` names the column to read (a header, or a position
    from 1) instead of detecting it. ``writing`` is called once the file is
    read, as the writing under the lock begins: for a large file that is
    seconds more, which a progress bar at its end should not hide.

    ``lines`` that know their column (``known_column``: an export of ours,
    read by ``json_exports``) are read by it, each line one whole cell.

    Raises ``NoNumbersFound`` when the file has no line but blank ones, when
    no phone column is found, or when lines other than blank ones and the
    header hold no valid number (nothing is written then);
    ``InvalidParameter`` for a ``column`` the file lacks.
    """
    report = ImportReport()
    size = batch_size or (_SQLITE_BATCH if stop_list.db.is_sqlite else _POSTGRES_BATCH)
    parser = _Parser(stop_list, report, column, _known_column(lines))
    db = stop_list.db
    with db.bulk_connection() as conn:
        writer = _Writer(stop_list, conn, report, source, actor)
        # The file is staged first, which locks nothing, so that other writers
        # (an inbound STOP) go on while it is read or uploaded; then the staged
        # numbers are written under the lock. SQLite's writer lock comes with
        # a transaction's beginning, so it stages in a transaction of its own;
        # PostgreSQL stages and writes in one (a pooler in transaction mode
        # would not keep a session's staging table from one to the next) and
        # takes the account's lock in between.
        with db.transaction(conn, write=not db.is_sqlite):
            _read_into(parser, writer, lines, size, progress)
            report.lines = parser.line
            if not (report.numbers or writer.staged):
                raise parser.nothing_found()
            if writing and writer.staged:
                writing()
            if not db.is_sqlite:
                writer.finish()
        if db.is_sqlite and writer.staged:
            with db.transaction(conn, write=True):
                writer.finish()
    writer.committed()
    return report


def _known_column(lines: object) -> KnownColumn | None:
    """The column a text says it holds (an export of ours), or None: detect it."""
    known = getattr(lines, "known_column", None)
    return known if isinstance(known, KnownColumn) else None


def _read_into(
    parser: _Parser,
    writer: _Writer,
    lines: Iterable[str] | _Readable,
    size: int,
    progress: Callable[[int], None] | None,
) -> None:
    """Hand the numbers of ``lines`` to ``writer`` in batches of ``size``, telling ``progress``."""
    batch: list[str] = []
    handled = 0
    for block in _blocks_then_end(lines):
        numbers, count = parser.feed(block) if block is not None else parser.finish()
        start = counted = 0  # this block's numbers batched, lines counted
        while start < len(numbers):
            part = numbers[start : start + size - len(batch)]
            start += len(part)
            batch += part
            if len(batch) >= size:
                writer.write(batch)
                batch = []
                share = count * start // len(numbers)  # the block's lines written, about
                handled += share - counted
                counted = share
                if progress:
                    progress(handled)
                    handled = 0
        handled += count - counted
    writer.write(batch)
    if progress and handled:
        progress(handled)


class _Writer:
    """Stages one import's batches, then writes them under the lock.

    Staging locks nothing. ``finish`` runs where the lock is held: SQLite's
    writer lock, taken by the transaction ``finish`` runs in, or the
    account's list on PostgreSQL, which it takes. No one else writes to the
    account from then until the import commits.
    """

    def __init__(
        self,
        stop_list: StopList,
        conn: Connection,
        report: ImportReport,
        source: Source,
        actor: str | None,
    ) -> None:
        self.stop_list = stop_list
        self.conn = conn
        self.report = report
        self.source = source
        self.actor = actor
        self._staged = 0
        self._queued = 0
        self._lifted: set[str] = set()
        self._first = True
        self._erased: ErasedNumbers | None = None

    @property
    def staged(self) -> int:
        """How many numbers wait in the staging table for ``finish``."""
        return self._staged

    def write(self, batch: list[str]) -> None:
        """Stage one batch of numbers (in any order, repeats included), sorting it in place."""
        if not batch:
            return
        if self._first:
            self._erased = self.stop_list.erased_lookup_in(self.conn)
            self._first = False
        if self._erased is not None:
            batch = self._without_erased(batch, self._erased)
        batch.sort()  # neighbours share the staging table's pages: each is visited once a batch
        new = bulk.stage(self.conn, batch) if batch else 0
        self._staged += new
        self.report.already_stopped += len(batch) - new  # repeats within the file

    def finish(self) -> None:
        """Write what is staged, at the end of the file, under the lock.

        A number erased while the file was read is looked for again here,
        under the lock, so that it is not written back.
        """
        account = self.stop_list.account
        conn = self.conn
        self.stop_list.db.lock_list(conn, account.id)
        newly = ErasedNumbers.erased_since(self._erased, self.stop_list.erased_lookup_in(conn))
        if newly is not None and self._staged:
            self._unstage_erased(newly)
        if not self._staged:
            return
        look_up = bulk.account_has_history(conn, account.id)
        if look_up:
            already, opted_in = bulk.staged_outcomes(conn, account.id)
            self.report.already_stopped += already
            self.report.opted_in += opted_in
            if already:
                self._reaffirm_synced()
        notify = self._notify()
        at = clock.now_us()
        added, rows = bulk.insert_staged_opt_outs(
            conn,
            account.id,
            source=self.source.value,
            actor=self.actor,
            at=at,
            look_up=look_up,
            returning=notify,
        )
        self.report.added += added
        self._queued += self._enqueue(rows, at) if notify else 0

    def _reaffirm_synced(self) -> None:
        """Record this file's opt-out of the staged numbers on the list by a sync alone.

        They stay counted as already stopped, their entries as they were;
        but the file stopped them too, so a mirror of the upstream's
        deletions must keep them (``storage.synced_entries``). Every other
        number already on the list gets nothing: a re-import of millions of
        numbers writes no event for them.
        """
        account_id = self.stop_list.account.id
        if not sync_store.upstream_providers(self.conn, account_id):
            return  # never mirrored an upstream: no entry came from a sync
        synced_entries.insert_reaffirmations(
            self.conn, account_id, source=self.source.value, actor=self.actor, at=clock.now_us()
        )

    def _without_erased(self, batch: list[str], erased: ErasedNumbers) -> list[str]:
        """The batch less the numbers erased on the account, counted here.

        One still erased is stopped already. One whose erasure the person
        lifted has its opt-out and that opt-in under its stand-in, where the
        look-ups by number do not see them: it is counted as those look-ups
        would count it, as on the list (stopped again since) or opted in,
        and never written back.
        """
        kept: list[str] = []
        lifted: list[str] = []
        for number in batch:
            mark = erased.find(number)
            if mark is None:
                kept.append(number)
            elif mark.lifted:
                lifted.append(number)
            else:
                self.report.already_stopped += 1
        if lifted:
            self._count_lifted(lifted)
        return kept

    def _count_lifted(self, numbers: list[str]) -> None:
        """Count numbers whose erasure was lifted; a repeat within the file is one already seen."""
        new = [number for number in dict.fromkeys(numbers) if number not in self._lifted]
        self._lifted.update(new)
        stopped = bulk.find_stops(self.conn, self.stop_list.account.id, new)
        self.report.already_stopped += len(numbers) - len(new) + len(stopped)
        self.report.opted_in += len(new) - len(stopped)

    def _unstage_erased(self, erased: ErasedNumbers) -> None:
        """Take the staged numbers ``erased`` suppresses out of the staging table, as stopped.

        Rare (an erasure while the file was read), and then a pass over every
        staged number.
        """
        found: list[str] = []
        for block in bulk.staged_blocks(self.conn):
            found += [number for number in block if erased.stop_id(number) is not None]
        if found:
            bulk.unstage(self.conn, found)
            self._staged -= len(found)
            self.report.already_stopped += len(found)

    def committed(self) -> None:
        """After the commit: count the stops added and wake the webhook dispatcher."""
        if self._queued:
            webhooks.wake()
        metrics.stop_changed(True, self.source, self.report.added)

    def _notify(self) -> bool:
        """Whether the account has webhooks, which need each added stop read back."""
        account_id = self.stop_list.account.id
        return bool(webhook_store.list_endpoints(self.conn, account_id, active_only=True))

    def _enqueue(self, rows: list[tuple[int, str, int]], at: int) -> int:
        account = self.stop_list.account
        return webhooks.enqueue(
            self.conn,
            account,
            (_event(account.id, row, self.source, self.actor, at) for row in rows),
            stop_ids={event_id: stop_id for event_id, _, stop_id in rows},
        )


def _event(
    account_id: int, row: tuple[int, str, int], source: Source, actor: str | None, at: int
) -> Event:
    event_id, number, _ = row
    new = NewEvent(number, EventKind.OPT_OUT, source, event_at=at, actor=actor)
    return new.recorded(event_id, account_id, received_at=at)


def _blocks_then_end(lines: Iterable[str] | _Readable) -> Iterator[str | _Lines | None]:
    """``_blocks``, then None: the parser is told the input is over."""
    yield from _blocks(lines)
    yield None


def _blocks(lines: Iterable[str] | _Readable) -> Iterator[str | _Lines]:
    """The input as text blocks of whole lines, each ending with ``\\n``.

    A list of lines is given back instead when its lines do not join into
    such a block (a line with a ``\\n`` inside, or some lines with their
    ends and some without); those are read one by one, exactly as given.
    A line longer than ``MAX_LINE_CHARS`` comes as a ``_LongLine``, in a list.
    """
    if not isinstance(lines, str) and callable(getattr(lines, "read", None)):
        yield from _stream_blocks(lines)  # type: ignore[arg-type]
        return
    iterator = iter(lines)  # type: ignore[arg-type]
    while chunk := list(islice(iterator, _BLOCK_LINES)):
        text = "".join(chunk)
        ended = sum(map(_ends_line, chunk))
        breaks = text.count("\n")
        if ended == len(chunk) == breaks:
            yield from _bounded(text)
        elif ended == breaks == 0:
            yield from _bounded("\n".join(chunk) + "\n")
        else:
            yield [_LongLine.of(line) if _too_long(line) else line for line in chunk]


_ends_line = methodcaller("endswith", "\n")


def _too_long(line: str) -> bool:
    return len(line) > MAX_LINE_CHARS and len(line.removesuffix("\n")) > MAX_LINE_CHARS


def _stream_blocks(stream: _Readable) -> Iterator[str | _Lines]:
    """The stream's text in blocks of whole lines; a long line as ``[_LongLine]``.

    A line is held until its end only while it is short: once past
    ``MAX_LINE_CHARS`` its start is kept, and the rest of it is read and
    dropped until its line end.
    """
    rest = ""
    skipping = False
    while data := stream.read(_BLOCK_CHARS):
        if skipping:
            end = data.find("\n")
            if end < 0:
                continue
            data, skipping = data[end + 1 :], False
        data = rest + data if rest else data
        cut = data.rfind("\n") + 1
        if cut:
            yield from _bounded(data[:cut])
        rest = data[cut:]
        if len(rest) > MAX_LINE_CHARS:
            yield [_LongLine.of(rest)]
            rest, skipping = "", True
    if rest:
        yield from _bounded(rest + "\n")


def _bounded(block: str) -> Iterator[str | _Lines]:
    """``block``, of whole lines, with each line past ``MAX_LINE_CHARS`` given apart.

    Such a line covers a whole ``_TILE`` of the block without a line end, so
    only those tiles are looked into: a block of usual lines costs a few
    dozen ``find`` calls, not one a line.
    """
    start = at = 0
    size = len(block)
    while at < size:
        if block.find("\n", at, at + _TILE) >= 0:
            at += _TILE
            continue
        first = block.rfind("\n", 0, at) + 1
        end = block.index("\n", at)
        if end - first > MAX_LINE_CHARS:
            if first > start:
                yield block[start:first]
            yield [_LongLine.of(block[first : first + MAX_ECHOED_CHARS + 1])]
            start = end + 1
        at = end + 1
    if start == 0:
        yield block
    elif start < size:
        yield block[start:]


@dataclass(frozen=True, slots=True)
class _FastLines:
    """Recognises runs of lines whose number cell is a canonical number of known codes."""

    run: re.Pattern[str]
    cells: re.Pattern[str] | None
    """Finds the number cells of a run; None when they are its only words."""


@cache
def _fast_lines(codes: tuple[int, ...], delimiter: str | None, column: int) -> _FastLines | None:
    """The expressions for lines that ``_Parser._cell`` would read as a canonical number.

    Such a line is blank (only spaces, tabs and CRs), or has no quote and no
    CR but at its end, its number cell is the canonical number itself,
    unpadded, and, when that is not the first cell, it does not start with
    white space (stripping the line would drop leading tab delimiters). Then
    the csv module splits it on the delimiter alone and ``is_canonical``
    would say yes. Other lines do not match and are read one by one.
    """
    end = r"\r?\n" if delimiter is None else rf"{re.escape(delimiter)}|\r?\n"
    sources = [source for source in (number_regex(code, end) for code in codes) if source]
    if not sources:
        return None
    number = f"(?:{'|'.join(sources)})"
    cells: re.Pattern[str] | None = None
    if delimiter is None:
        line = rf"{number}\r?\n"
    else:
        d = re.escape(delimiter)
        unstripped = f"(?![{re.escape(_SPACES)}])" if column else ""
        before = f'{unstripped}(?:[^{d}\\n\\r"]*{d}){{{column}}}'
        line = rf'{before}{number}(?:{d}[^\n\r"]*)?\r?\n'
        cells = re.compile(rf"(?m)^{before}(\+[0-9]+)", re.ASCII)
    return _FastLines(re.compile(rf"(?:{line}|[ \t\r]*\n)*", re.ASCII), cells)


class _Parser:
    """Reads blocks of lines into numbers: runs of usual lines at once, others one by one.

    The first ``SAMPLE_LINES`` non-blank lines are held until they decide the
    file's ``Layout`` (delimiter, header, column), then read like the rest.
    A line without the delimiter is split on the first one it has. A
    ``KnownColumn`` decides the layout instead: each line is that one cell.
    """

    def __init__(
        self,
        stop_list: StopList,
        report: ImportReport,
        column: str | None = None,
        known: KnownColumn | None = None,
    ) -> None:
        self.stop_list = stop_list
        self.report = report
        self.choice = column
        self.line = 0
        self.started = False
        """A non-blank line was seen (the file is not empty)."""
        self.layout: Layout | None = None
        self.delimiter: str | None = None
        self.column = 0
        self.codes: tuple[int, ...] = ()
        self.fast: _FastLines | None = None
        self._held: _Lines = []
        self._held_count = 0
        self._header_pending = False
        self._open: list[str] = []
        """The lines so far of a record whose quoted cell goes on (a line break in a cell)."""
        self._open_from = 0
        self._open_chars = 0
        self._whole = known is not None
        """Each line is the cell, whole (``KnownColumn``): nothing is split or quoted."""
        if known is not None:
            known.check_choice(column)
            self.layout = Layout(None, 0, None, 1)
            report.column, report.column_number = known.name, 1

    def feed(self, block: str | _Lines) -> tuple[list[str], int]:
        """``(numbers, lines read)`` for one block; invalid lines go to the report."""
        numbers: list[str] = []
        first = self.line
        if self.layout is None:
            rest = self._hold(block)
            if rest is None:
                return numbers, 0
            self._decided(numbers)
            block = rest
        if isinstance(block, list):
            for raw in block:
                self._one(raw, numbers)
            return numbers, self.line - first
        position, size = 0, len(block)
        while position < size:
            fast = self.fast
            if fast is not None and not self._open:
                end = fast.run.match(block, position).end()  # type: ignore[union-attr]
                if end > position:
                    run = block[position:end]
                    numbers += fast.cells.findall(run) if fast.cells else run.split()
                    self.line += run.count("\n")
                    position = end
                    continue
            newline = block.index("\n", position)
            self._one(block[position:newline], numbers)
            position = newline + 1
        return numbers, self.line - first

    def finish(self) -> tuple[list[str], int]:
        """``feed`` for the end of the input: lines still held are read."""
        numbers: list[str] = []
        first = self.line
        if self.layout is None:
            self._decided(numbers)
        self._read_apart(numbers)  # a quoted cell the file never closed
        return numbers, self.line - first

    def nothing_found(self) -> NoNumbersFound:
        """The refusal of a file read to its end without a valid number."""
        if not (self.started or self.report.invalid):
            return NoNumbersFound(lines=self.line)  # nothing but blank lines, if any
        return NoNumbersFound(column=self.report.column, lines=self.line)

    def _hold(self, block: str | _Lines) -> str | _Lines | None:
        """Keep lines of ``block`` until enough are held; the rest of it, or None."""
        if isinstance(block, list):
            for index, raw in enumerate(block):
                if self._held_enough(raw):
                    return block[index + 1 :]
            return None
        position = 0
        while position < len(block):
            newline = block.index("\n", position)
            raw = block[position:newline]
            position = newline + 1
            if self._held_enough(raw):
                return block[position:]
        return None

    def _held_enough(self, raw: str | _LongLine) -> bool:
        self._held.append(raw)
        if isinstance(raw, _LongLine) or _bare(raw):
            self._held_count += 1
        return self._held_count >= SAMPLE_LINES

    def _decided(self, numbers: list[str]) -> None:
        """Decide the layout from the held lines, then read them."""
        sample = [_bare(raw) for raw in self._held if isinstance(raw, str) and _bare(raw)]
        layout = detect_layout(sample, self._is_number, self.choice)
        self.layout = layout
        if sample and layout.column is None:
            raise NoNumbersFound(columns=layout.column_names())
        self.delimiter = layout.delimiter
        self.column = layout.column or 0
        self._header_pending = layout.header is not None
        report = self.report
        report.header = layout.header is not None
        report.column_number = self.column + 1
        report.column = layout.column_name()
        held, self._held = self._held, []
        for raw in held:
            self._one(raw, numbers)

    def _is_number(self, cell: str) -> bool:
        if is_canonical(cell):
            return True
        try:
            self.stop_list.normalize(_without_text_mark(cell))
        except StoplistError:
            return False
        return True

    def _one(self, raw: str | _LongLine, numbers: list[str]) -> None:
        self.line += 1
        if self._open or (isinstance(raw, str) and self._opens_quoted_cell(raw)):
            self._record_line(raw, numbers)
            return
        self._read(raw, self.line, numbers)

    def _opens_quoted_cell(self, raw: str) -> bool:
        delimiter = self.delimiter
        return delimiter is not None and _ends_inside_quotes(raw, delimiter)

    def _record_line(self, raw: str | _LongLine, numbers: list[str]) -> None:
        """Add a line to a record whose quoted cell spans lines; read the record once closed.

        CRMs and spreadsheets put line breaks in cells (an address, a note),
        and write the cell quoted as RFC 4180 says. A record that does not
        close within ``_MAX_RECORD_LINES`` lines or ``MAX_LINE_CHARS`` (a stray
        quote) is read line by line instead, as if no cell spanned them.
        """
        if isinstance(raw, _LongLine):
            self._read_apart(numbers)
            self._read(raw, self.line, numbers)
            return
        if not self._open:
            self._open_from, self._open_chars = self.line, 0
        self._open.append(raw)
        self._open_chars += len(raw) + 1
        if len(self._open) > _MAX_RECORD_LINES or self._open_chars > MAX_LINE_CHARS:
            self._read_apart(numbers)
        elif len(self._open) > 1 and not _ends_inside_quotes(
            raw, self.delimiter or ",", inside=True
        ):
            record = "\n".join(self._open)
            self._open = []
            self._read(record, self._open_from, numbers)

    def _read_apart(self, numbers: list[str]) -> None:
        """The lines of an unclosed record, each read as a line of its own."""
        lines, self._open = self._open, []
        for offset, raw in enumerate(lines):
            self._read(raw, self._open_from + offset, numbers)

    def _read(self, raw: str | _LongLine, line: int, numbers: list[str]) -> None:
        """Read the number of one record, which starts on line ``line``."""
        if isinstance(raw, _LongLine):
            long_line = InvalidPhoneNumber(reason=Reason.LINE_TOO_LONG)
            self.report._invalid(line, raw.start, long_line)
            return
        cell = self._cell(raw)
        if cell is None:
            return
        if is_canonical(cell):
            numbers.append(cell)
            self._learn(cell)
            return
        try:
            number = self.stop_list.normalize(_without_text_mark(cell))
        except StoplistError as error:
            self.report._invalid(line, cell, error)
            return
        numbers.append(number)
        self._learn(number)

    def _learn(self, number: str) -> None:
        """Recognise ``number``'s calling code in blocks from now on."""
        code = calling_code(number)
        if code is None or code in self.codes or len(self.codes) >= _MAX_FAST_CODES:
            return
        self.codes = (*self.codes, code)
        self.fast = _fast_lines(self.codes, self.delimiter, self.column)

    def _cell(self, raw: str) -> str | None:
        """The number cell of one line; None for a blank line or the header."""
        if not self.started:
            line = _bare(raw)
            if not line:
                return None
            self.started = True
            if self._header_pending:
                self._header_pending = False
                return None
        else:
            line = raw.strip()
            if not line:
                return None
        if self._whole:
            return line.strip('"').strip()
        delimiter, column = self.delimiter, self.column
        if delimiter is None or (delimiter not in line and '"' not in line):
            found = delimiter or next((d for d in DELIMITERS if d in line), None)
            if found is None:
                return line.strip('"').strip() if column == 0 else ""
            cells = _split(line, found)
        else:
            cells = _split(line, delimiter)
        return cells[column].strip() if column < len(cells) else ""


def _without_text_mark(cell: str) -> str:
    """``cell`` without the apostrophe a spreadsheet puts before a number kept as text.

    Excel exports ``'0612345678`` for a cell typed that way so as to keep its
    leading 0; the apostrophe is no part of the number. Only one, and only
    first: anything else is read as written (and reported so when invalid).
    """
    if cell.startswith("'") and not cell.startswith("''"):
        return cell[1:]
    return cell


def _ends_inside_quotes(text: str, delimiter: str, *, inside: bool = False) -> bool:
    """Whether ``text`` ends inside a quoted cell, as the csv module reads quotes.

    A quote opens a cell only as the cell's first character, and ``""``
    inside one is a quote. ``inside``: ``text`` goes on a record whose
    quoted cell was open at the line end before it, so each line of a
    record is looked at once. Well-formed, a record's first line leaves an
    odd count of quotes when it opens a cell, so an even count (every line
    of a file that quotes all its cells) costs one count.
    """
    if not inside:
        if text.count('"') % 2 == 0:
            return False
        text = text.lstrip(_SPACES + "\ufeff")
    cell_starts = not inside
    at, size = 0, len(text)
    while at < size:
        char = text[at]
        if inside:
            if char == '"':
                if text.startswith('"', at + 1):
                    at += 2
                    continue
                inside = False
        elif char == '"' and cell_starts:
            inside = True
        cell_starts = not inside and char == delimiter
        at += 1
    return inside


def _bare(raw: str) -> str:
    """A line without surrounding space or a byte order mark."""
    return raw.strip().removeprefix("\ufeff").strip()


_split = split
