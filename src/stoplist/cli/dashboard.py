"""``stoplist dashboard``: what operators do for the web dashboard."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from stoplist.cli.language import _, problem
from stoplist.cli.options import DatabaseOption, fail, find_account, open_database
from stoplist.domain.dashboard_access import DashboardAccess, PasswordRejected

dashboard_app = typer.Typer(help="Web dashboard access.", no_args_is_help=True)


@dashboard_app.command("set-password")
def set_password(
    account: Annotated[str, typer.Argument(help="Account name or id.")],
    clear: Annotated[
        bool, typer.Option("--clear", help="Remove the password: only API keys sign in.")
    ] = False,
    database: DatabaseOption = None,
) -> None:
    """Set the password staff use to sign in to ACCOUNT's dashboard.

    The password is asked for twice on a terminal, or read from the first line
    of standard input (echo "$PASSWORD" | stoplist dashboard set-password acme),
    never from the command line where other users could see it.
    """
    db = open_database(database)
    try:
        found = find_account(db, account)
        access = DashboardAccess(db)
        if clear:
            access.clear_password(found)
            typer.echo(_("Dashboard password removed for account '%(name)s'.", name=found.name))
            return
        password = _read_password()
        try:
            access.set_password(found, password)
        except PasswordRejected as exc:
            fail(problem(exc))
        typer.echo(_("Dashboard password set for account '%(name)s'.", name=found.name))
    finally:
        db.dispose()


@dashboard_app.command("sign-out")
def sign_out(
    account: Annotated[str, typer.Argument(help="Account name or id.")],
    database: DatabaseOption = None,
) -> None:
    """End every open dashboard session of ACCOUNT at once (keys and password stay as they are)."""
    db = open_database(database)
    try:
        found = find_account(db, account)
        ended = DashboardAccess(db).end_sessions(found)
        typer.echo(
            _(
                "Ended %(ended)s dashboard session(s) for account '%(name)s'.",
                ended=ended,
                name=found.name,
            )
        )
    finally:
        db.dispose()


def _read_password() -> str:
    if sys.stdin.isatty():
        return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))
    line = sys.stdin.readline()
    return line.rstrip("\r\n")
