"""The ``stoplist`` command."""

from __future__ import annotations

import typer

from stoplist.cli.accounts import accounts_app, keys_app
from stoplist.cli.serve import serve

app = typer.Typer(
    help="stoplist: a self-hosted SMS opt-out service.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.command()(serve)
app.add_typer(accounts_app, name="accounts")
app.add_typer(keys_app, name="keys")


def main() -> None:
    app()
