"""``stoplist config``: the effective settings and where each came from."""

from __future__ import annotations

import typer

from stoplist.cli.options import (
    DatabaseOption,
    HostOption,
    JsonOption,
    PortOption,
    database_before_command,
    print_json,
    settings_from,
)
from stoplist.cli.serve import (
    LogFormatOption,
    LogLevelOption,
    WorkersOption,
    serve_flags,
)
from stoplist.settings import Settings, describe


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
    database = database or database_before_command()  # a flag too, wherever it was given
    flags = serve_flags(host, port, workers, log_level, log_format, database)
    settings = settings_from(**flags)
    rows = describe(settings, flags)
    derived = _derived_paths(settings)
    if json:
        fields = ("name", "variable", "value", "source")
        print_json(
            [
                {
                    **{field: getattr(row, field) for field in fields},
                    "effective": derived.get(row.name, row.value) if not row.value else row.value,
                }
                for row in rows
            ]
        )
        return
    width = max(len(row.variable) + len(row.value) for row in rows) + 1
    for row in rows:
        shown: str = row.source
        if not row.value and row.name in derived:
            shown = f"{row.source}: {derived[row.name]}"
        typer.echo(f"{row.variable}={row.value}".ljust(width) + f"  # {shown}")


def _derived_paths(settings: Settings) -> dict[str, str]:
    """What serve uses where a path setting is left empty (beside a SQLite file, or none)."""
    from stoplist.domain.backup import list_cache_directory
    from stoplist.domain.inbound_spool import spool_directory
    from stoplist.storage import secrets
    from stoplist.storage.database import Database

    db = Database(settings.database_url, secrets_key_file=settings.secrets_key_file)
    try:
        lists = list_cache_directory(db)
        spool = spool_directory(db, settings.inbound_spool_dir)
        key = secrets.key_path(db.engine)
    finally:
        db.dispose()
    return {
        "list_cache_dir": str(lists) if lists else "none, every list rendered from the database",
        "inbound_spool_dir": str(spool) if spool else "none, messages wait for their list",
        "secrets_key_file": str(key),
    }
