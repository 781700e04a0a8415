"""``stoplist config``: the effective settings and where each came from."""

from __future__ import annotations

import typer

from stoplist.cli.options import DatabaseOption, JsonOption, print_json, settings_from
from stoplist.cli.serve import (
    HostOption,
    LogFormatOption,
    LogLevelOption,
    PortOption,
    WorkersOption,
    serve_flags,
)
from stoplist.settings import describe


def config(
    host: HostOption = None,
    port: PortOption = None,
    database: DatabaseOption = None,
    workers: WorkersOption = None,
    log_level: LogLevelOption = None,
    log_format: LogFormatOption = None,
    json: JsonOption = False,
) -> None:
    """Print every setting as serve would use it (with the same flags), secrets masked.

    Each is shown with its environment variable and its source: default,
    environment or flag. Invalid values are reported as serve reports them.
    """
    flags = serve_flags(host, port, workers, log_level, log_format, database)
    rows = describe(settings_from(**flags), flags)
    if json:
        fields = ("name", "variable", "value", "source")
        print_json([{field: getattr(row, field) for field in fields} for row in rows])
        return
    width = max(len(row.variable) + len(row.value) for row in rows) + 1
    for row in rows:
        typer.echo(f"{row.variable}={row.value}".ljust(width) + f"  # {row.source}")
