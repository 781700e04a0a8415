"""The import page: a CSV or text file of numbers, with progress and a summary.

Without JavaScript the form posts normally and the answer is the page with
its summary. With it, the file is sent in the background (upload progress),
and the answer streams ``progress DONE TOTAL`` lines while the domain works
through the file, then ``--result--`` and the summary's HTML.
"""

from __future__ import annotations

import csv
import io
import logging
import queue
import threading
from collections.abc import Iterator
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import Response, StreamingResponse

from stoplist.domain.events import Source
from stoplist.domain.imports import ImportReport, import_numbers
from stoplist.web.context import PageContext, page

logger = logging.getLogger("stoplist.web")

MAX_IMPORT_BYTES = 64 * 1024 * 1024
SHOWN_INVALID_LINES = 100
PROGRESS_HEADER = "x-import-progress"
RESULT_MARK = "--result--\n"


@page
async def import_page(ctx: PageContext) -> Response:
    return ctx.render("import.html", max_mb=MAX_IMPORT_BYTES // (1024 * 1024))


@page
async def run_import(ctx: PageContext) -> Response:
    form = await ctx.form(max_bytes=MAX_IMPORT_BYTES)
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return ctx.render(
            "import.html",
            status=422,
            error=ctx.t("import_no_file"),
            max_mb=MAX_IMPORT_BYTES // (1024 * 1024),
        )
    lines = _decode(await upload.read()).splitlines()
    stop_list, actor = ctx.stop_list, ctx.grant.actor

    def run(progress: object = None) -> ImportReport:
        return import_numbers(
            stop_list,
            lines,
            source=Source.IMPORT,
            actor=actor,
            progress=progress,  # type: ignore[arg-type]
        )

    if ctx.request.headers.get(PROGRESS_HEADER) != "1":
        report = await run_in_threadpool(run)
        return ctx.render(
            "import.html",
            max_mb=MAX_IMPORT_BYTES // (1024 * 1024),
            **_summary(ctx, report, upload.filename),
        )

    def stream() -> Iterator[str]:
        updates: queue.SimpleQueue[tuple[str, object]] = queue.SimpleQueue()

        def work() -> None:
            try:
                updates.put(("done", run(lambda handled: updates.put(("progress", handled)))))
            except Exception as exc:
                logger.error("dashboard import failed", exc_info=exc)
                updates.put(("error", None))

        threading.Thread(target=work, name="dashboard-import", daemon=True).start()
        total, handled = len(lines), 0
        yield f"progress 0 {total}\n"
        while True:
            kind, value = updates.get()
            if kind == "progress":
                handled += int(value)  # type: ignore[call-overload]
                yield f"progress {min(handled, total)} {total}\n"
            elif kind == "done":
                assert isinstance(value, ImportReport)
                yield f"progress {total} {total}\n" + RESULT_MARK
                yield ctx.render_html(
                    "_import_result.html", **_summary(ctx, value, upload.filename or "")
                )
                return
            else:
                yield "error\n"
                return

    return StreamingResponse(stream(), media_type="text/plain; charset=utf-8")


def _decode(data: bytes) -> str:
    """Spreadsheets save CSVs in UTF-8 (often with a BOM) or, on Windows, cp1252."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _summary(ctx: PageContext, report: ImportReport, filename: str) -> dict[str, object]:
    summary = io.StringIO()
    writer = csv.writer(summary, lineterminator="\n")
    writer.writerow(["file", "added", "alreadyStopped", "optedIn", "invalid"])
    writer.writerow(
        [filename, report.added, report.already_stopped, report.opted_in, report.invalid]
    )
    invalid = io.StringIO()
    writer = csv.writer(invalid, lineterminator="\n")
    writer.writerow(["line", "input", "code"])
    for entry in report.invalid_lines:
        writer.writerow([entry.line, entry.input, entry.code])
    return {
        "report": report,
        "filename": filename,
        "shown_invalid": report.invalid_lines[:SHOWN_INVALID_LINES],
        "summary_href": _data_uri(summary.getvalue()),
        "invalid_href": _data_uri(invalid.getvalue()) if report.invalid else None,
    }


def _data_uri(text: str) -> str:
    return "data:text/csv;charset=utf-8," + quote(text, safe="")
