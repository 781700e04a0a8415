"""Options and helpers shared by every command.

The database and settings layers are imported by the helpers that use them,
not here: ``stoplist remote`` uses this module too, and never opens a
database (see ``stoplist.cli.lazy``).
"""

from __future__ import annotations

import os
import traceback
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

DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database",
        metavar="URL",
        help="SQLAlchemy URL (sqlite:///path.db, postgresql://...) or a SQLite file path "
        "[env: STOPLIST_DATABASE_URL; default: stoplist.db in the working directory].",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]

console = Console()
errors = Console(stderr=True)


def settings_from(**flags: Any) -> Settings:
    """The settings with these flags over the environment; exit status 2 when invalid."""
    from stoplist.settings import InvalidSettings, load_settings

    try:
        return load_settings(flags)
    except InvalidSettings as invalid:
        for line in invalid.lines:
            _print_error(line)
        raise typer.Exit(INVALID_SETTINGS_EXIT) from None


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
        db.migrate()
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
    return db


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
