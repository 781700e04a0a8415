"""``stoplist import`` and ``stoplist export``: whole lists in and out, from files.

Both stream: an import reads its file a block at a time and commits a batch
of numbers at a time; an export writes the list a batch at a time. A progress bar
is shown on stderr only when stderr is a terminal, so scripts and pipes get
clean output.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from stoplist import wording
from stoplist.cli import language
from stoplist.cli.language import _
from stoplist.cli.options import (
    DatabaseOption,
    JsonOption,
    console,
    errors,
    fail,
    find_account,
    names_a_directory,
    open_configured,
    open_database,
    print_json,
    settings_from,
)
from stoplist.domain.errors import InvalidParameter, NoNumbersFound, Reason
from stoplist.domain.exports import FORMATS, export_chunks, export_format
from stoplist.domain.import_files import ImportText, open_import
from stoplist.domain.imports import ImportReport, import_numbers
from stoplist.domain.stops import StopList
from stoplist.records.events import Source
from stoplist.storage.backup import whole_file

if TYPE_CHECKING:
    from stoplist.storage.database import Database

AccountOption = Annotated[str, typer.Option("--account", help="Account name or id.")]
NO_NUMBERS_EXIT = 2
"""Exit status of an import whose file holds no valid number."""


def import_command(
    file: Annotated[
        str,
        typer.Argument(
            help="CSV, text (one number per line), .xlsx workbook, or a list's JSON or "
            "NDJSON export; '-' for stdin.",
            show_default=False,
        ),
    ],
    account: AccountOption,
    column: Annotated[
        str | None,
        typer.Option(
            "--column",
            metavar="NAME|NUMBER",
            help="Column holding the numbers: its header, or its position from 1. "
            "Default: found from the header or the content.",
        ),
    ] = None,
    sheet: Annotated[
        str | None,
        typer.Option("--sheet", help="Sheet of a workbook to read. Default: the first."),
    ] = None,
    database: DatabaseOption = None,
    json: JsonOption = False,
) -> None:
    """Add the numbers of FILE to an account's stop list (never removes anything).

    UTF-8 (with or without BOM), UTF-16 with BOM and Windows-1252 text are
    read alike; the delimiter (comma, semicolon, tab, pipe) and the phone
    column are detected unless --column names it. What stoplist export
    writes, in any format, imports back.
    """
    settings = settings_from(database_url=database)
    db = open_configured(settings)
    stop_list = StopList(db, find_account(db, account))
    stream: IO[bytes]
    if file == "-":
        stream, total = sys.stdin.buffer, None
    else:
        path = Path(file)
        if not path.is_file():
            fail(
                _("%(file)s is a directory: give the file to import", file=file)
                if path.is_dir()
                else _("no such file: %(file)s", file=file)
            )
        stream, total = path.open("rb"), path.stat().st_size
    try:
        text = open_import(stream, filename=None if file == "-" else file, sheet=sheet)
        try:
            with _progress(total) as bar:
                phases = _Phases(bar, total, text)
                report = import_numbers(
                    stop_list,
                    text,
                    source=Source.IMPORT,
                    actor="cli",
                    progress=phases.read,
                    column=column,
                    writing=lambda: phases.now(_("writing")),
                )
                if report.added:
                    phases.now(_("keeping a copy of the list"))
                    _keep_list_copy(db, stop_list, settings.list_cache_dir)
        finally:
            text.close()
    except NoNumbersFound as error:
        fail(wording.no_numbers(error, language.current(), "--column"), NO_NUMBERS_EXIT)
    except InvalidParameter as error:
        fail(_as_option(error), NO_NUMBERS_EXIT)
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
        db.dispose()
    _print_report(report, json)


def _keep_list_copy(db: Database, stop_list: StopList, configured: str | None) -> None:
    """Leave the server a copy of the list as the import left it, as an API import does.

    The server's list cache directory is found by the same rule as ``serve``'s
    (``STOPLIST_LIST_CACHE_DIR``, else beside the SQLite file), so the first
    whole listing after the import is sent from the copy instead of rendered
    from the database. Nothing is kept where the server keeps nothing; a
    copy that cannot be made is a warning, never a failed import.
    """
    from stoplist.api.kept_lists import list_renderer
    from stoplist.api.list_cache import ListCache

    list_renderer(ListCache.for_database(db, configured)).prepare(stop_list, "json")


def _as_option(error: InvalidParameter) -> str:
    """A refused parameter as the CLI says it (``column`` is the ``--column`` option)."""
    name, problem = wording.parameter(error, language.current())
    if name is None:
        return problem
    option = f"--{name}" if name in ("column", "sheet") else name
    return _("%(option)s: %(problem)s", option=option, problem=problem)


def export_command(
    account: AccountOption,
    format: Annotated[str, typer.Option("--format", help=" | ".join(FORMATS))] = "csv",
    output: Annotated[
        str | None,
        typer.Option("--output", "-o", help="File to write (default, or '-': stdout)."),
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """Write an account's whole stop list as CSV, JSON or NDJSON."""
    try:
        fmt = export_format(format)
    except InvalidParameter as exc:
        fail(_as_option(exc))
    db = open_database(database)
    stop_list = StopList(db, find_account(db, account))
    try:
        if output is None or output == "-":
            _write_list(stop_list, fmt, sys.stdout.buffer, progress=False)
            sys.stdout.buffer.flush()
        else:
            _export_to_file(stop_list, fmt, output)
    finally:
        db.dispose()


def _export_to_file(stop_list: StopList, fmt: str, output: str) -> None:
    """Write the list to ``output`` whole, or leave the file that was there as it was.

    A full disk or an interrupted export must not leave yesterday's export
    replaced by a truncated one: a file is written as ``stoplist backup``
    writes its copy, beside it under a temporary name, then renamed (over
    the file a link points to, never over the link). What is not a file (a
    pipe, ``/dev/null``, a terminal) is written into, as a shell would.
    """
    named = Path(output)
    if named.is_dir():
        fail(_("%(output)s is a directory: give a file to write", output=output))
    if names_a_directory(output):
        fail(_("no such directory: %(exc)s", exc=output))
    target = Path(os.path.realpath(named))
    try:
        if target.exists() and not target.is_file():
            with target.open("wb") as sink:
                _write_list(stop_list, fmt, sink, progress=True)
            return
        with whole_file(target) as sink:
            _write_list(stop_list, fmt, sink, progress=True)
    except FileNotFoundError:
        fail(_("no such directory: %(exc)s", exc=named.parent))
    except OSError as exc:
        reason = exc.strerror or str(exc)
        fail(_("cannot write %(destination)s: %(reason)s", destination=output, reason=reason))


def _write_list(stop_list: StopList, fmt: str, sink: IO[bytes], *, progress: bool) -> None:
    """The export's bytes into ``sink``, with a byte count on a terminal when ``progress``."""
    with _progress(None if progress else -1) as bar:
        task = bar.add_task("export", total=None) if bar else None
        written = 0
        for chunk in export_chunks(stop_list, fmt):
            sink.write(chunk)
            written += len(chunk)
            if bar and task is not None:
                bar.update(task, completed=written)


class _Phases:
    """An import's progress on a terminal: the bytes read, then the steps after the file.

    Writing a large file under the lock, then keeping the list's copy, take
    seconds after the last byte is read: the bar says so rather than sitting
    full while nothing seems to happen.
    """

    def __init__(self, bar: Progress | None, total: int | None, text: ImportText) -> None:
        self._bar = bar
        self._text = text
        self._task = bar.add_task(_("reading"), total=total) if bar else None

    def read(self, _lines: int) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, completed=self._text.consumed)

    def now(self, step: str) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, description=step, total=None)
            self._bar.refresh()  # shown now, however soon the step ends


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
        _(
            "added %(added)s, already stopped %(already_stopped)s, opted back in (left off) "
            "%(opted_in)s, invalid %(invalid)s",
            added=report.added,
            already_stopped=report.already_stopped,
            opted_in=report.opted_in,
            invalid=report.invalid,
        ),
        highlight=False,
    )
    header = _("header line skipped") if report.header else _("no header line")
    console.print(
        _(
            "lines read: %(lines)s; numbers from column %(column)s (number %(column_number)s); "
            "%(header)s",
            lines=report.lines,
            column=report.column,
            column_number=report.column_number,
            header=header,
        ),
        highlight=False,
    )
    for item in report.invalid_lines[:20]:
        line = _("line %(line)s", line=item.line)
        if item.reason:
            why = wording.invalid_number(Reason(item.reason), language.current())
            said = _("%(why)s, code %(code)s", why=why, code=item.code)
        else:
            said = _("code %(code)s", code=item.code)
        console.print(f"  {line}: {item.input!r} ({said})", highlight=False)
    if report.invalid > 20:
        console.print(
            "  " + _("... and %(count)s more invalid lines", count=report.invalid - 20),
            highlight=False,
        )
