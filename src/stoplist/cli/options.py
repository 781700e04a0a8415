"""Options and helpers shared by every command."""

from __future__ import annotations

from typing import Annotated, Any, NoReturn

import orjson
import typer
from rich.console import Console
from rich.markup import escape

from stoplist.cli.language import tr
from stoplist.config import DATABASE_URL_ENV
from stoplist.domain.accounts import Accounts
from stoplist.domain.errors import AccountNotFound
from stoplist.domain.models import Account
from stoplist.storage.database import Database
from stoplist.storage.migrate import SchemaTooNew

DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database",
        metavar="URL",
        envvar=DATABASE_URL_ENV,
        show_envvar=True,
        help="SQLAlchemy URL (sqlite:///path.db, postgresql://...) or a SQLite file path. "
        "Default: stoplist.db in the working directory.",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]

console = Console()
errors = Console(stderr=True)


def open_database(url: str | None) -> Database:
    """Open the database, creating or migrating its schema on first use."""
    db = Database(url, pool_size=2)
    try:
        db.migrate()
    except SchemaTooNew as exc:
        db.dispose()
        fail(f"{exc}; restore the backup taken before the upgrade, or upgrade stoplist again")
    return db


def find_account(db: Database, name_or_id: str) -> Account:
    try:
        return Accounts(db).get(name_or_id)
    except AccountNotFound:
        fail_tr(
            f"no account named or numbered {name_or_id!r}",
            f"aucun compte n'a ce nom ou ce numéro : {name_or_id!r}",
        )


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one unwrapped ``error:`` line on stderr (scripts grep it) and exit."""
    _fail_line("error:", message, code)


def fail_tr(en: str, fr: str, code: int = 1) -> NoReturn:
    """``fail`` in the CLI's language: prefix and message in the same one."""
    fail_localized(tr(en, fr), code)


def fail_localized(message: str, code: int = 1) -> NoReturn:
    """``fail`` for a message already in the CLI's language (the server's, say)."""
    _fail_line(tr("error:", "erreur :"), message, code)


def _fail_line(prefix: str, message: str, code: int) -> NoReturn:
    errors.print(f"[red]{prefix}[/red] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def print_json(value: Any) -> None:
    typer.echo(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode())
