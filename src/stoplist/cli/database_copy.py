"""``stoplist copy-database``: move an installation to another database.

What is copied and when a copy is refused: ``domain.database_copy``.
"""

from __future__ import annotations

from typing import Annotated

import typer

from stoplist.cli.audit import BROKEN_EXIT, audit_line
from stoplist.cli.diagnosis import cannot_open
from stoplist.cli.language import _
from stoplist.cli.options import (
    DatabaseOption,
    errors,
    fail,
    open_configured,
    settings_from,
)
from stoplist.database_url import masked_url, normalise_url
from stoplist.domain import database_copy as moving
from stoplist.domain.inbound_spool import spool_directory
from stoplist.storage import diagnose
from stoplist.storage.secrets import SecretsKeyError

_REPORTED_TABLES = ("accounts", "api_keys", "stops", "events")


def copy_database_command(
    destination: Annotated[
        str,
        typer.Argument(
            metavar="DEST",
            help="Database to copy into: postgresql://... (empty, or just created), or a new "
            "SQLite file.",
        ),
    ],
    database: DatabaseOption = None,
) -> None:
    """Copy every account, key, stop and event into DEST, with the same ids.

    Stop every stoplist serve of the source first, and keep them stopped:
    what they write into the source afterwards is not in the copy. STOPs
    waiting in the source's spool make the copy refuse. Each account's history
    is verified on the copy; the copy's servers need the source's secrets
    key file, which is written where DEST's servers look for it.
    """
    settings = settings_from(database_url=database)
    source = open_configured(settings)
    shown = masked_url(destination)
    try:
        copied = moving.copy_database(
            source,
            destination,
            spool=spool_directory(source, settings.inbound_spool_dir),
            key_file=settings.secrets_key_file,
            progress=_progress(),
        )
    except moving.SameDatabase:
        fail(_("DEST is the database being copied: name another one"))
    except moving.DestinationExists as exc:
        fail(_("%(path)s already exists: a copy goes into a new file", path=str(exc)))
    except FileNotFoundError as exc:
        fail(_("no such directory: %(exc)s", exc=exc))
    except moving.DestinationHasOtherTables as exc:
        fail(
            _(
                "%(url)s holds tables that are not stoplist's (%(tables)s): "
                "copy into a database of its own (createdb stoplist)",
                url=shown,
                tables=", ".join(exc.tables),
            )
        )
    except moving.DestinationUnreachable as exc:
        fail(cannot_open(diagnose.diagnose(normalise_url(destination), exc.error)))
    except moving.MaintenanceDatabase as exc:
        fail(
            _(
                "%(name)s is one of PostgreSQL's own databases: create one for stoplist "
                "(createdb stoplist) and copy into it",
                name=str(exc),
            )
        )
    except moving.DestinationNotEmpty as exc:
        fail(
            _(
                "%(url)s already holds stoplist data (%(tables)s): a copy never merges; "
                "copy into an empty database",
                url=shown,
                tables=", ".join(exc.tables),
            )
        )
    except moving.SpoolNotEmpty as exc:
        fail(
            _(
                "%(count)s inbound message(s) wait in %(spool)s to be written into the source: "
                "start stoplist serve on it until the spool is empty, stop it, then copy",
                count=exc.count,
                spool=str(exc.directory),
            )
        )
    except moving.HeldElsewhere as exc:
        fail(
            _(
                "%(count)s STOP(s) wait in a server's spool to be written into the source: "
                "let every server drain its spool, stop them, then copy",
                count=exc.count,
            )
        )
    except SecretsKeyError as exc:
        fail(str(exc))
    except ValueError as exc:
        fail(str(exc))
    finally:
        source.dispose()
    counts = {table.name: table.rows for table in copied.tables}
    typer.echo(
        _(
            "copied into %(url)s: %(accounts)s account(s), %(keys)s API key(s), "
            "%(stops)s stop(s), %(events)s event(s), with their ids",
            url=shown,
            accounts=counts["accounts"],
            keys=counts["api_keys"],
            stops=counts["stops"],
            events=counts["events"],
        )
    )
    for audit in copied.audits:
        line = audit_line(audit)
        typer.echo(line, err=not audit.intact)
    if copied.key_file is not None:
        if copied.key_written:
            typer.echo(_("wrote the source's secrets key to %(key)s", key=str(copied.key_file)))
        typer.echo(
            _(
                "give every server of the copy the secrets key file %(key)s "
                "(STOPLIST_SECRETS_KEY_FILE), and keep it apart from the database",
                key=str(copied.key_file),
            )
        )
    typer.echo(
        _("serve from the copy from now on: what a server writes into the source is not in it")
    )
    if not all(audit.intact for audit in copied.audits):
        raise typer.Exit(BROKEN_EXIT)


def _progress() -> moving.Progress:
    shown: dict[str, int] = {}

    def tell(table: str, rows: int) -> None:
        if table in _REPORTED_TABLES and rows - shown.get(table, 0) >= 100_000:
            shown[table] = rows
            errors.print(
                _("%(table)s: %(rows)s rows", table=table, rows=f"{rows:,}"), highlight=False
            )

    return tell
