"""Options and helpers shared by every command.

The database and settings layers are imported by the helpers that use them,
not here: ``stoplist remote`` uses this module too, and never opens a
database (see ``stoplist.cli.lazy``).
"""

from __future__ import annotations

import os
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import orjson
import typer
from rich.console import Console
from rich.markup import escape

from stoplist.cli.language import _, problem

if TYPE_CHECKING:
    from stoplist.records.models import Account
    from stoplist.settings import Settings
    from stoplist.storage.database import Database

INVALID_SETTINGS_EXIT = 2
_DATABASE_BEFORE_COMMAND = "stoplist.database"
"""Where the root's ``--database`` is kept, in the Click context the command shares."""

DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database",
        metavar="URL",
        help="SQLAlchemy URL (sqlite:///path.db, postgresql://...) or a SQLite file path "
        "[env: STOPLIST_DATABASE_URL; default: stoplist.db in the working directory].",
    ),
]
HostOption = Annotated[
    str | None,
    typer.Option(help="Interface to listen on [env: STOPLIST_HOST; default: 127.0.0.1]."),
]
PortOption = Annotated[
    str | None, typer.Option(help="TCP port [env: STOPLIST_PORT; default: 8080].")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]

console = Console()
errors = Console(stderr=True)


def use_database_before_command(ctx: typer.Context, url: str | None) -> None:
    """Keep ``stoplist --database URL COMMAND``'s URL for the command (see ``settings_from``).

    Operators put a global option before the command as often as after it;
    Click would refuse it there, as an option the root does not know.
    """
    ctx.meta[_DATABASE_BEFORE_COMMAND] = url


def settings_from(**flags: Any) -> Settings:
    """The settings with these flags over the environment; exit status 2 when invalid.

    A command's ``database_url`` left out (None) is the ``--database`` given
    before the command, if any: a flag too, so ``stoplist config`` says so.
    """
    from stoplist.settings import InvalidSettings, load_settings

    if "database_url" in flags and flags["database_url"] is None:
        flags["database_url"] = database_before_command()
    try:
        return load_settings(flags)
    except InvalidSettings as invalid:
        for line in invalid.lines:
            _print_error(line)
        raise typer.Exit(INVALID_SETTINGS_EXIT) from None


def database_before_command() -> str | None:
    """The ``--database`` given before the command (None: none was)."""
    from typer._click.globals import get_current_context  # Typer's own copy of Click

    ctx = get_current_context(silent=True)
    found = ctx.meta.get(_DATABASE_BEFORE_COMMAND) if ctx is not None else None
    return found if isinstance(found, str) else None


def open_database(url: str | None, *, create: bool = False, migrate: bool = True) -> Database:
    """Open the database ``--database`` or the settings name, migrating it on first use.

    ``create`` and ``migrate`` as for ``open_configured``.
    """
    return open_configured(settings_from(database_url=url), create=create, migrate=migrate)


def open_configured(settings: Settings, *, create: bool = False, migrate: bool = True) -> Database:
    """Open the settings' database; a database that cannot be opened ends the command.

    The message names the database (password masked) and the likely cause;
    ``STOPLIST_LOG_LEVEL=debug`` (or ``serve --log-level debug``) adds the traceback.
    A SQLite file that does not exist is made only when ``create`` (the
    commands that start a database: ``serve``, ``accounts create``); any
    other command given a wrong path would otherwise make an empty database
    there and report on it, or back it up, as if it were the real one.
    ``migrate=False`` leaves the schema as it is (a backup taken before an
    upgrade must be of the database the previous version can still open).
    """
    from stoplist.cli.diagnosis import cannot_open
    from stoplist.storage import diagnose
    from stoplist.storage.database import Database
    from stoplist.storage.migrate import SchemaTooNew
    from stoplist.storage.secrets import SecretsKeyError

    url = settings.database_url
    trouble = diagnose.precheck(url, may_create=create)
    if trouble:
        fail(cannot_open(trouble))
    try:
        db = Database(
            url,
            pool_size=2,
            secrets_key_file=settings.secrets_key_file,
            prepared_statements=settings.prepared_statements,
        )
    except Exception as exc:
        _cannot_open(settings, exc)
    if not create and not db.is_sqlite and not _holds_stoplist(settings, db):
        db.dispose()
        fail(cannot_open(diagnose.Diagnosis(diagnose.Cause.NO_STOPLIST_SCHEMA, _masked(url))))
    if not migrate:
        return db
    try:
        started = db.migrate()
    except SchemaTooNew as exc:
        db.dispose()
        fail(
            _(
                "%(exc)s; restore the backup taken before the upgrade, or upgrade stoplist again",
                exc=exc,
            )
        )
    except SecretsKeyError as exc:
        db.dispose()
        fail(problem(exc))
    except Exception as exc:
        db.dispose()
        _cannot_open(settings, exc)
    if started:
        _tell_started(url)
    return db


def _tell_started(url: str) -> None:
    """Say on stderr where a new database was just started (stdout may be a script's).

    A command run in the wrong directory, or without the service's
    environment, starts one there: its keys then fail against the real server.
    """
    if _sqlite_file(url) is not None:
        typer.echo(_("created a new database at %(path)s", path=database_shown(url)), err=True)
    else:
        typer.echo(_("created stoplist's tables in %(url)s", url=database_shown(url)), err=True)


def database_shown(url: str) -> str:
    """A database as an operator looks for it: a SQLite file's absolute path, else its URL
    with the password masked."""
    path = _sqlite_file(url)
    return str(path.resolve()) if path is not None else _masked(url)


def _sqlite_file(url: str) -> Path | None:
    from stoplist.storage.diagnose import sqlite_path

    return sqlite_path(url)


def end_if_database_failed(error: Exception) -> None:
    """End the command in one line if ``error`` is the database failing under it.

    Down, read-only, full or busy: the server answers those with code 94 and
    the command line says so in a line too, where it showed a traceback. The
    transaction the command was in is rolled back. Any other error returns,
    for its caller to raise.
    """
    from stoplist.observability.database_errors import describe, failure_kind

    kind = failure_kind(error)
    if kind is None:
        return
    problems = {
        "read_only": _("the database is read-only"),
        "disk_full": _("the disk under the database is full"),
        "locked": _("the database is busy with another writer"),
    }
    problem = problems.get(kind) or _("the database stopped answering")
    fail(
        _(
            "%(problem)s: the command stopped, and its unfinished change was not written "
            "(%(detail)s)",
            problem=problem,
            detail=describe(error),
        )
    )


def _masked(url: str) -> str:
    from stoplist.database_url import masked_url

    return masked_url(url)


def _holds_stoplist(settings: Settings, db: Database) -> bool:
    """Whether a PostgreSQL database has been started by stoplist (it has a schema version).

    As with a SQLite path that does not exist: any other database named by
    mistake (``postgres``, another application's) would otherwise be given
    stoplist's tables, and the command would report on it as if it were empty.
    """
    from stoplist.storage.migrate import current_revision

    try:
        return current_revision(db) is not None
    except Exception as exc:
        db.dispose()
        _cannot_open(settings, exc)


def _cannot_open(settings: Settings, error: Exception) -> NoReturn:
    from stoplist.cli.diagnosis import cannot_open
    from stoplist.storage import diagnose

    if settings.log_level == "debug":
        traceback.print_exception(error)
    fail(cannot_open(diagnose.diagnose(settings.database_url, error)))


def names_a_directory(path: str) -> bool:
    """Whether a path given on the command line ends in a slash: a directory, existing or not.

    ``Path`` drops the slash, so it is looked for in the text as given.
    """
    return path.endswith(("/", os.sep))


def find_account(db: Database, name_or_id: str) -> Account:
    from stoplist.domain.accounts import Accounts
    from stoplist.domain.errors import AccountAmbiguous, AccountNotFound

    try:
        return Accounts(db).get(name_or_id)
    except AccountNotFound:
        fail(_("no account named or numbered %(name_or_id)s", name_or_id=repr(name_or_id)))
    except AccountAmbiguous as exc:
        fail(problem(exc))


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one unwrapped ``error:`` line on stderr (scripts grep it) and exit.

    ``message`` is in the CLI's language already (from ``_`` or the server's
    answer); the prefix follows, so the line is in one language throughout.
    """
    _fail_line(_("error:"), message, code)


def _fail_line(prefix: str, message: str, code: int) -> NoReturn:
    _print_error(message, prefix)
    raise typer.Exit(code)


def _print_error(message: str, prefix: str = "error:") -> None:
    errors.print(f"[red]{prefix}[/red] {escape(message)}", highlight=False, soft_wrap=True)


def print_json(value: Any) -> None:
    typer.echo(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode())
