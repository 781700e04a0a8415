"""``stoplist import`` and ``stoplist export``: whole lists in and out, from files.

Both stream: an import reads its file a block at a time and commits a batch
of numbers at a time; an export writes the list a batch at a time. A progress bar
is shown on stderr only when stderr is a terminal, so scripts and pipes get
clean output.
"""

from __future__ import annotations

import codecs
import sys
from pathlib import Path
from typing import IO, Annotated

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from stoplist.cli.options import (
    DatabaseOption,
    JsonOption,
    console,
    errors,
    fail,
    find_account,
    open_database,
    print_json,
)
from stoplist.domain.errors import InvalidParameter
from stoplist.domain.events import Source
from stoplist.domain.exports import FORMATS, export_chunks, export_format
from stoplist.domain.imports import ImportReport, import_numbers
from stoplist.domain.stops import StopList

AccountOption = Annotated[str, typer.Option("--account", help="Account name or id.")]


def import_command(
    file: Annotated[str, typer.Argument(help="CSV or one number per line; '-' for stdin.")],
    account: AccountOption,
    database: DatabaseOption = None,
    json: JsonOption = False,
) -> None:
    """Add the numbers of FILE to an account's stop list (never removes anything)."""
    db = open_database(database)
    stop_list = StopList(db, find_account(db, account))
    stream: IO[bytes]
    if file == "-":
        stream, total = sys.stdin.buffer, None
    else:
        path = Path(file)
        if not path.is_file():
            fail(f"no such file: {file}")
        stream, total = path.open("rb"), path.stat().st_size
    try:
        with _progress(total) as bar:
            counter = _ByteCounter(stream)
            task = bar.add_task("import", total=total) if bar else None
            report = import_numbers(
                stop_list,
                counter,
                source=Source.IMPORT,
                actor="cli",
                progress=(lambda _: bar.update(task, completed=counter.consumed)) if bar else None,
            )
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
        db.dispose()
    _print_report(report, json)


def export_command(
    account: AccountOption,
    format: Annotated[str, typer.Option("--format", help=" | ".join(FORMATS))] = "csv",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """Write an account's whole stop list as CSV, JSON or NDJSON."""
    try:
        fmt = export_format(format)
    except InvalidParameter as exc:
        fail(exc.detail or "invalid format")
    db = open_database(database)
    stop_list = StopList(db, find_account(db, account))
    sink: IO[bytes] = output.open("wb") if output else sys.stdout.buffer
    try:
        with _progress(None if output else -1) as bar:
            task = bar.add_task("export", total=None) if bar else None
            written = 0
            for chunk in export_chunks(stop_list, fmt):
                sink.write(chunk)
                written += len(chunk)
                if bar:
                    bar.update(task, completed=written)
    finally:
        if output:
            sink.close()
        else:
            sink.flush()
        db.dispose()


class _ByteCounter:
    """A text stream over a binary one, counting the bytes read for the bar.

    UTF-8 with bad bytes replaced, line ends left as they are: the import
    splits lines at ``\\n`` only and strips what surrounds each line.
    """

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.consumed = 0
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def read(self, size: int = -1, /) -> str:
        data = self.stream.read(size)
        self.consumed += len(data)
        return self._decoder.decode(data, final=not data)


class _NoProgress:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _progress(total: int | None) -> Progress | _NoProgress:
    """A byte progress bar on a terminal stderr; nothing otherwise (``-1``: never)."""
    if total == -1 or not errors.is_terminal:
        return _NoProgress()
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=errors,
        transient=True,
    )


def _print_report(report: ImportReport, as_json: bool) -> None:
    if as_json:
        print_json(report.summary())
        return
    console.print(
        f"added {report.added}, already stopped {report.already_stopped}, "
        f"opted back in (left off) {report.opted_in}, invalid {report.invalid}",
        highlight=False,
    )
    for item in report.invalid_lines[:20]:
        console.print(f"  line {item.line}: {item.input!r} (code {item.code})", highlight=False)
    if report.invalid > 20:
        console.print(f"  ... and {report.invalid - 20} more invalid lines", highlight=False)
