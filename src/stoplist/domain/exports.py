"""The export formats of a whole list, shared by the API and the command line.

CSV (``id,phoneNumber,createdAt,source``), a JSON array of the same objects,
or NDJSON (one object per line, for tools that read a line at a time). The
list is read from one snapshot, a batch at a time, and produced as chunks of
bytes, so an export of millions of entries never sits in memory.
"""

from __future__ import annotations

from collections.abc import Iterator

from stoplist.domain.clock import LocalTimeFormatter
from stoplist.domain.errors import UnknownExportFormat
from stoplist.domain.stops import StopList

FORMATS = ("csv", "json", "ndjson")
CSV_HEADER = b"id,phoneNumber,createdAt,source\n"


def export_format(raw: object) -> str:
    """The format asked for (default ``csv``), or code 91."""
    fmt = str(raw or "").strip().lower() or "csv"
    if fmt not in FORMATS:
        raise UnknownExportFormat(fmt, FORMATS)
    return fmt


def export_chunks(stop_list: StopList, fmt: str) -> Iterator[bytes]:
    """The list in ``fmt``; the first chunk comes once the snapshot is open."""
    formatter = LocalTimeFormatter(stop_list.account.zone)
    with stop_list.snapshot(with_source=True) as snapshot:
        yield CSV_HEADER if fmt == "csv" else b"[" if fmt == "json" else b""
        separator = ""
        for batch in snapshot.batches:
            assert batch.sources is not None
            times = map(formatter, batch.created_at)
            entries = zip(batch.ids, batch.numbers, times, batch.sources, strict=True)
            if fmt == "csv":
                yield "".join([f"{i},{n},{c},{s}\n" for i, n, c, s in entries]).encode()
                continue
            rows = [
                f'{{"id":{i},"phoneNumber":"{n}","createdAt":"{c}","source":"{s}"}}'
                for i, n, c, s in entries
            ]
            if fmt == "json":
                yield (separator + ",".join(rows)).encode()
                separator = ","
            else:
                yield ("\n".join(rows) + "\n").encode()
        if fmt == "json":
            yield b"]\n"
