"""Options and helpers shared by every command."""

from __future__ import annotations

from typing import Annotated, Any, NoReturn

import orjson
import typer
from rich.console import Console
from rich.markup import escape

from stoplist.config import DATABASE_URL_ENV
from stoplist.domain.accounts import Accounts
from stoplist.domain.errors import AccountNotFound
from stoplist.domain.models import Account
from stoplist.storage.database import Database
from stoplist.storage.secrets import SecretsKeyError

DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database",
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
    except SecretsKeyError as exc:
        fail(str(exc))
    return db


def find_account(db: Database, name_or_id: str) -> Account:
    try:
        return Accounts(db).get(name_or_id)
    except AccountNotFound as exc:
        fail(str(exc))


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one unwrapped ``error:`` line on stderr (scripts grep it) and exit."""
    errors.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def print_json(value: Any) -> None:
    typer.echo(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode())
