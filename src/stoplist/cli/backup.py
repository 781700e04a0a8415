"""``stoplist backup``: a copy of the database that a restore can start from."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from stoplist.cli.language import _
from stoplist.cli.options import DatabaseOption, errors, fail, names_a_directory, open_database
from stoplist.domain.backup import (
    NoSuchDirectory,
    NotSqlite,
    backup,
    list_cache_directory,
    secrets_key_file,
)
from stoplist.storage.database import Database


def backup_command(
    destination: Annotated[
        str,
        typer.Argument(
            metavar="DEST",
            help="File to write, or a directory to write a dated file in.",
        ),
    ],
    force: Annotated[
        bool, typer.Option("--force", help="Replace DEST if it is a file already there.")
    ] = False,
    database: DatabaseOption = None,
) -> None:
    """Copy the SQLite database to DEST, safely while it is being served.

    The copy is one self-contained file holding every change committed before
    the backup began; restore it by putting it in place of the database while
    stoplist is stopped. On PostgreSQL, prints the pg_dump command to use.
    """
    db = open_database(database, migrate=False)  # a copy of the database as it is
    try:
        made = backup(
            db, Path(destination), overwrite=force, into_directory=names_a_directory(destination)
        )
    except NotSqlite as exc:
        errors.print(
            _(
                "stoplist backup copies SQLite databases; back up PostgreSQL with pg_dump "
                "(the URL holds no password: give it with PGPASSWORD or ~/.pgpass):"
            ),
            highlight=False,
            soft_wrap=True,
        )
        errors.print(f"  {exc.command}", highlight=False, soft_wrap=True, markup=False)
        _print_key_to_keep(db)
        raise typer.Exit(1) from None
    except FileExistsError:
        fail(_("%(destination)s already exists (--force to replace it)", destination=destination))
    except NoSuchDirectory as exc:
        fail(_("no such directory: %(exc)s", exc=exc))
    except ValueError:
        fail(_("DEST is the database itself: choose another file"))
    except OSError as exc:
        reason = exc.strerror or str(exc)
        fail(_("cannot write %(destination)s: %(reason)s", destination=destination, reason=reason))
    finally:
        db.dispose()
    copy = made.copy
    size = f"{copy.size / 1_000_000:.1f} MB"
    when = f"{made.made_at:%Y-%m-%d %H:%M:%S} UTC"
    typer.echo(
        _(
            "backed up %(stops)s stop(s) to %(path)s (%(size)s), as of %(when)s",
            stops=copy.stops,
            path=copy.path,
            size=size,
            when=when,
        )
    )
    _print_keep_also(db)


def _print_key_to_keep(db: Database) -> None:
    """What to keep with a dump that the user makes: nothing was backed up here."""
    key = _secrets_key(db)
    if key is not None:
        typer.echo(
            _("keep with each dump, stored apart from it, the secrets key file %(key)s", key=key)
        )


def _print_keep_also(db: Database) -> None:
    key = _secrets_key(db)
    if key is not None:
        typer.echo(_("also keep, apart from the backup: the secrets key file %(key)s", key=key))
    lists = list_cache_directory(db)
    if lists is not None and lists.exists():
        typer.echo(_("no need to keep %(lists)s: kept lists are remade on demand", lists=lists))


def _secrets_key(db: Database) -> Path | None:
    """The database's secrets key file, when there is one to keep."""
    key = secrets_key_file(db)
    return key if key is not None and key.exists() else None
