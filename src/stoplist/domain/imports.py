"""Bulk import: putting a file of numbers on a stop list.

The rules, whatever the file's size:
- idempotent: importing the same file twice adds nothing the second time;
- additive only: nothing is removed, and an existing entry keeps its id and
  ``createdAt``;
- never reactivates: a number that is off the list because it was opted back
  in (a START, or an entry someone deleted) stays off; its latest state
  change is a decision an old file must not overturn. Such numbers are
  counted as ``opted_in``;
- every number added gets its own opt-out event (source ``import``), exactly
  as if it had been added by hand, so its history says where it came from.

Input is a CSV (the first column, or the column named ``phoneNumber``,
``phone_number`` or ``number`` in a header line) or one number per line. Work
is done in batches of thousands of numbers per transaction with set-at-a-time
SQL, so a million lines take seconds and memory stays flat.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

from sqlalchemy import Connection

from stoplist.domain import clock, webhooks
from stoplist.domain.canonical import is_canonical
from stoplist.domain.errors import StoplistError
from stoplist.domain.events import Event, EventKind, NewEvent, Source
from stoplist.domain.stops import StopList
from stoplist.storage import bulk

HEADER_NAMES = frozenset({"phonenumber", "phone_number", "number"})
MAX_REPORTED_INVALID = 10_000
"""Invalid lines listed in a report; the count is always exact."""

_SQLITE_BATCH = 20_000  # one commit (one fsync) per batch
_POSTGRES_BATCH = 1000  # each number holds an advisory lock until the batch commits
_DELIMITERS = (",", ";", "\t")


@dataclass(frozen=True, slots=True)
class InvalidLine:
    line: int
    input: str
    code: int


@dataclass(slots=True)
class ImportReport:
    added: int = 0
    already_stopped: int = 0
    opted_in: int = 0
    invalid: int = 0
    invalid_lines: list[InvalidLine] = field(default_factory=list)

    def summary(self) -> dict[str, object]:
        """The counts under their wire names, as the API and the CLI print them."""
        return {
            "added": self.added,
            "alreadyStopped": self.already_stopped,
            "invalid": self.invalid,
            "invalidLines": [
                {"line": item.line, "input": item.input, "code": item.code}
                for item in self.invalid_lines
            ],
            "optedIn": self.opted_in,
        }

    def _invalid(self, line: int, text: str, code: int) -> None:
        self.invalid += 1
        if len(self.invalid_lines) < MAX_REPORTED_INVALID:
            self.invalid_lines.append(InvalidLine(line, text, code))


def import_numbers(
    stop_list: StopList,
    lines: Iterable[str],
    *,
    source: Source = Source.IMPORT,
    actor: str | None = None,
    progress: Callable[[int], None] | None = None,
    batch_size: int | None = None,
) -> ImportReport:
    """Add every valid number of ``lines`` that is not, and never was, on the list.

    ``lines`` are the file's lines (with or without their line ends);
    ``progress`` is called with the number of lines handled after each batch
    (``batch_size`` numbers; by default what suits the database).
    """
    report = ImportReport()
    size = batch_size or (_SQLITE_BATCH if stop_list.db.is_sqlite else _POSTGRES_BATCH)
    batch: dict[str, None] = {}
    handled = 0
    with stop_list.db.bulk_writes() as transaction:
        for line_number, cell in _cells(lines):
            handled += 1
            number = _number(stop_list, cell, line_number, report)
            if number is None:
                continue
            if number in batch:
                report.already_stopped += 1  # a repeat within the file
                continue
            batch[number] = None
            if len(batch) >= size:
                _apply(stop_list, transaction, list(batch), report, source, actor)
                batch.clear()
                if progress:
                    progress(handled)
                    handled = 0
        _apply(stop_list, transaction, list(batch), report, source, actor)
    if progress and handled:
        progress(handled)
    return report


def _number(stop_list: StopList, cell: str, line: int, report: ImportReport) -> str | None:
    if is_canonical(cell):
        return cell
    try:
        return stop_list.normalize(cell)
    except StoplistError as error:
        report._invalid(line, cell, error.code)
        return None


def _apply(
    stop_list: StopList,
    transaction: Callable[[], AbstractContextManager[Connection]],
    numbers: list[str],
    report: ImportReport,
    source: Source,
    actor: str | None,
) -> None:
    if not numbers:
        return
    account_id = stop_list.account.id
    db = stop_list.db
    with transaction() as conn:
        db.lock_numbers(conn, account_id, numbers)
        stopped = bulk.find_stops(conn, account_id, numbers)
        fresh = [number for number in numbers if number not in stopped]
        decided = bulk.numbers_with_state_events(conn, account_id, fresh)
        added = [number for number in fresh if number not in decided]
        at = clock.now_us()
        rows = bulk.insert_opt_outs(
            conn, account_id, added, source=source.value, actor=actor, at=at
        )
        queued = webhooks.enqueue(
            conn,
            stop_list.account,
            (_event(account_id, row, source, actor, at) for row in rows),
            stop_ids={event_id: stop_id for event_id, _, stop_id in rows},
        )
    if queued:
        webhooks.wake()
    report.added += len(added)
    report.already_stopped += len(stopped)
    report.opted_in += len(decided)


def _event(
    account_id: int, row: tuple[int, str, int], source: Source, actor: str | None, at: int
) -> Event:
    event_id, number, _ = row
    new = NewEvent(number, EventKind.OPT_OUT, source, event_at=at, actor=actor)
    return new.recorded(event_id, account_id, received_at=at)


def _cells(lines: Iterable[str]) -> Iterator[tuple[int, str]]:
    """``(line number, number cell)`` for each non-blank line, header skipped.

    The first non-blank line decides the delimiter and, when it names a
    number column, which column to read; otherwise the first column is read
    and that line is data.
    """
    column = 0
    delimiter: str | None = None
    first = True
    for line_number, raw in enumerate(lines, start=1):
        line = raw.strip().removeprefix("\ufeff").strip() if first else raw.strip()
        if not line:
            continue
        if first:
            first = False
            delimiter = next((d for d in _DELIMITERS if d in line), None)
            header = _split(line, delimiter)
            named = [i for i, cell in enumerate(header) if cell.strip().lower() in HEADER_NAMES]
            if named:
                column = named[0]
                continue
        if delimiter is None or (delimiter not in line and '"' not in line):
            found = delimiter or next((d for d in _DELIMITERS if d in line), None)
            if found is None:
                yield line_number, line.strip('"').strip() if column == 0 else ""
                continue
            cells = _split(line, found)
        else:
            cells = _split(line, delimiter)
        yield line_number, cells[column].strip() if column < len(cells) else ""


def _split(line: str, delimiter: str | None) -> list[str]:
    if delimiter is None:
        return [line.strip('"').strip()]
    return next(csv.reader([line], delimiter=delimiter), [""])
