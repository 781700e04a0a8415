"""The import page: a CSV, text or workbook file of numbers, with progress and a summary.

Without JavaScript the form posts normally and the answer is the page with
its summary. With it, the file is sent in the background (upload progress),
and the answer streams ``progress DONE TOTAL`` lines (bytes of the file read)
while the domain works through the file, then ``--result--`` and the
summary's HTML.

Choosing the column is a second step that needs no JavaScript either:
"Preview" (or an import in which no phone column is found) keeps the upload
on the server for a while and answers with its first rows and a column
picker; that form posts the kept file's token instead of the file.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import queue
import re
import secrets
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TypedDict
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.responses import Response, StreamingResponse

from stoplist import wording
from stoplist.domain.csv_cells import text_cell
from stoplist.domain.errors import InvalidParameter, NoNumbersFound, Reason
from stoplist.domain.import_files import open_import
from stoplist.domain.imports import (
    ImportReport,
    InvalidLine,
    Preview,
    import_numbers,
    preview,
)
from stoplist.records.events import Source
from stoplist.web.context import PageContext, page

logger = logging.getLogger("stoplist.web")

MAX_IMPORT_BYTES = 64 * 1024 * 1024
SHOWN_INVALID_LINES = 100
PREVIEW_ROWS = 10
KEPT_SECONDS = 3600
"""How long an upload waiting for its column choice is kept."""
PROGRESS_HEADER = "x-import-progress"
RESULT_MARK = "--result--\n"

_KEPT_DIR = Path(tempfile.gettempdir()) / f"stoplist-dashboard-imports-{os.getuid()}"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{22}")


@page
async def import_page(ctx: PageContext) -> Response:
    return ctx.render("import.html", max_mb=MAX_IMPORT_BYTES // (1024 * 1024))


@page
async def run_import(ctx: PageContext) -> Response:
    form = await ctx.form(max_bytes=MAX_IMPORT_BYTES)
    column, sheet = _field(form, "column"), _field(form, "sheet")
    source = _source(ctx, form)
    if source is None:
        return ctx.render(
            "import.html",
            status=422,
            error=ctx.text("Choose a file first."),
            max_mb=MAX_IMPORT_BYTES // (1024 * 1024),
        )
    if _field(form, "step") == "preview":
        return await _render_picker(ctx, source, sheet, column, status=200)
    stop_list, actor = ctx.stop_list, ctx.grant.actor
    file, filename = source.file, source.filename

    def run(progress: object = None) -> ImportReport:
        file.seek(0)
        text = open_import(file, filename=filename, sheet=sheet)
        try:
            report = import_numbers(
                stop_list,
                text,
                source=Source.IMPORT,
                actor=actor,
                column=column,
                progress=(lambda _: progress(text.consumed)) if progress else None,  # type: ignore[operator]
            )
        finally:
            text.close()
        source.discard()
        return report

    if ctx.request.headers.get(PROGRESS_HEADER) != "1":
        try:
            report = await run_in_threadpool(run)
        except (NoNumbersFound, InvalidParameter) as error:
            return await _render_picker(ctx, source, sheet, column, error=error, status=422)
        return ctx.render(
            "import.html",
            max_mb=MAX_IMPORT_BYTES // (1024 * 1024),
            **_summary(ctx, report, filename),
        )

    total = source.size()

    def stream() -> Iterator[str]:
        updates: queue.SimpleQueue[tuple[str, object]] = queue.SimpleQueue()

        def work() -> None:
            try:
                updates.put(("done", run(lambda consumed: updates.put(("progress", consumed)))))
            except (NoNumbersFound, InvalidParameter) as error:
                updates.put(("refused", error))
            except Exception as exc:
                logger.error("dashboard import failed", exc_info=exc)
                updates.put(("error", None))

        threading.Thread(target=work, name="dashboard-import", daemon=True).start()
        yield f"progress 0 {total}\n"
        while True:
            kind, value = updates.get()
            if kind == "progress":
                yield f"progress {min(int(value), total)} {total}\n"  # type: ignore[call-overload]
            elif kind == "done":
                assert isinstance(value, ImportReport)
                yield f"progress {total} {total}\n" + RESULT_MARK
                yield ctx.render_html("_import_result.html", **_summary(ctx, value, filename))
                return
            elif kind == "refused":
                assert isinstance(value, NoNumbersFound | InvalidParameter)
                values = _picker(ctx, source, sheet, column, value)
                yield f"progress {total} {total}\n" + RESULT_MARK
                yield ctx.render_html("_import_picker.html", **values)
                return
            else:
                yield "error\n"
                return

    return StreamingResponse(stream(), media_type="text/plain; charset=utf-8")


class _Source:
    """The file being imported: just uploaded, or kept from an earlier step."""

    def __init__(self, file: IO[bytes], filename: str, kept: Path | None = None) -> None:
        self.file = file
        self.filename = filename
        self.kept = kept

    def size(self) -> int:
        self.file.seek(0, io.SEEK_END)
        size = self.file.tell()
        self.file.seek(0)
        return size

    def keep(self, account_id: int) -> str:
        """Keep the file for a later step; returns its token."""
        if self.kept is not None:
            return self.kept.name.split("-", 1)[1]
        _forget_old()
        _KEPT_DIR.mkdir(mode=0o700, exist_ok=True)
        token = secrets.token_urlsafe(16)
        path = _KEPT_DIR / f"{account_id}-{token}"
        self.file.seek(0)
        with path.open("xb") as out:
            while chunk := self.file.read(1 << 20):
                out.write(chunk)
        self.kept = path
        return token

    def discard(self) -> None:
        if self.kept is not None:
            self.kept.unlink(missing_ok=True)


def _source(ctx: PageContext, form: FormData) -> _Source | None:
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        return _Source(upload.file, upload.filename)
    token = _field(form, "kept") or ""
    if not _TOKEN.fullmatch(token):
        return None
    path = _KEPT_DIR / f"{ctx.signed_in.id}-{token}"
    try:
        file = path.open("rb")
    except OSError:
        return None
    return _Source(file, _field(form, "filename") or "", kept=path)


def _forget_old() -> None:
    if not _KEPT_DIR.is_dir():
        return
    deadline = time.time() - KEPT_SECONDS
    for path in _KEPT_DIR.iterdir():
        try:
            if path.stat().st_mtime < deadline:
                path.unlink()
        except OSError:
            continue


def _field(form: FormData, name: str) -> str | None:
    value = form.get(name)
    return value.strip() or None if isinstance(value, str) else None


async def _render_picker(
    ctx: PageContext,
    source: _Source,
    sheet: str | None,
    column: str | None,
    *,
    error: NoNumbersFound | InvalidParameter | None = None,
    status: int,
) -> Response:
    values = await run_in_threadpool(_picker, ctx, source, sheet, column, error)
    return ctx.render(
        "import.html", status=status, max_mb=MAX_IMPORT_BYTES // (1024 * 1024), **values
    )


def _picker(
    ctx: PageContext,
    source: _Source,
    sheet: str | None,
    column: str | None,
    error: NoNumbersFound | InvalidParameter | None = None,
) -> dict[str, object]:
    """The values of the column picker: the file's first rows, its columns, the token."""
    message = _error_message(ctx, error) if error is not None else None
    shown: Preview | None = None
    try:
        source.file.seek(0)
        text = open_import(source.file, filename=source.filename, sheet=sheet)
        try:
            chosen = column if not isinstance(error, InvalidParameter) else None
            shown = preview(ctx.stop_list, text, rows=PREVIEW_ROWS, column=chosen)
        finally:
            text.close()
    except InvalidParameter as refused:
        message = message or _error_message(ctx, refused)
    except NoNumbersFound:
        shown = None
    if shown is None:
        source.discard()
        return {"error": message or ctx.text("The file could not be read.")}
    return {
        "error": message,
        "preview": shown,
        "kept": source.keep(ctx.signed_in.id),
        "filename": source.filename,
        "sheet": sheet or "",
    }


def _error_message(ctx: PageContext, error: NoNumbersFound | InvalidParameter) -> str:
    if isinstance(error, NoNumbersFound):
        return wording.no_numbers(error, ctx.lang, None)
    return wording.parameter_detail(error, ctx.lang)


class _Summary(TypedDict):
    """What the summary of a finished import shows (``_import_result.html``)."""

    report: ImportReport
    filename: str
    shown_invalid: list[tuple[InvalidLine, str]]
    summary_href: str
    invalid_href: str | None


def _summary(ctx: PageContext, report: ImportReport, filename: str) -> _Summary:
    """The page's summary, with its two CSV downloads; the file's name, its column's header
    and its invalid lines are the uploader's text, so they go through ``text_cell``."""
    summary = io.StringIO()
    writer = csv.writer(summary, lineterminator="\n")
    writer.writerow(["file", "lines", "column", "added", "alreadyStopped", "optedIn", "invalid"])
    writer.writerow(
        [
            text_cell(filename),
            report.lines,
            text_cell(report.column or ""),
            report.added,
            report.already_stopped,
            report.opted_in,
            report.invalid,
        ]
    )
    invalid = io.StringIO()
    writer = csv.writer(invalid, lineterminator="\n")
    writer.writerow(["line", "input", "code", "reason"])
    for entry in report.invalid_lines:
        writer.writerow([entry.line, text_cell(entry.input), entry.code, entry.reason or ""])
    return {
        "report": report,
        "filename": filename,
        "shown_invalid": [
            (entry, _reason_text(entry.reason, ctx))
            for entry in report.invalid_lines[:SHOWN_INVALID_LINES]
        ],
        "summary_href": _data_uri(summary.getvalue()),
        "invalid_href": _data_uri(invalid.getvalue()) if report.invalid else None,
    }


def _reason_text(reason: str | None, ctx: PageContext) -> str:
    try:
        return wording.invalid_number(Reason(reason), ctx.lang) if reason else ""
    except ValueError:
        return reason or ""


def _data_uri(text: str) -> str:
    return "data:text/csv;charset=utf-8," + quote(text, safe="")
