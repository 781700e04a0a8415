"""The ``stoplist`` command."""

from __future__ import annotations

from typing import Annotated

import typer

from stoplist import __version__
from stoplist.cli import language
from stoplist.cli.accounts import accounts_app, keys_app
from stoplist.cli.audit import audit_app, events_app
from stoplist.cli.backup import backup_command
from stoplist.cli.config import config
from stoplist.cli.confirmations import confirmations_app
from stoplist.cli.dashboard import dashboard_app
from stoplist.cli.help import tidy
from stoplist.cli.inbound import inbound_app, keywords_app
from stoplist.cli.remote import remote_app
from stoplist.cli.review import review_app
from stoplist.cli.serve import serve
from stoplist.cli.sync import sync
from stoplist.cli.transfer import export_command, import_command
from stoplist.cli.webhooks import webhooks_app
from stoplist.i18n import Language

app = typer.Typer(
    help="stoplist: a self-hosted SMS opt-out service.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"stoplist {__version__}")
        raise typer.Exit()


def _choose_language(value: Language | None) -> Language | None:
    if value is not None:
        language.choose(value)
    return value


@app.callback()
def _main(
    lang: Annotated[
        Language | None,
        typer.Option(
            "--lang",
            callback=_choose_language,
            is_eager=True,
            help="Language of the messages, and of the server's errors "
            "(default: from LC_ALL, LC_MESSAGES or LANG).",
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_show_version,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """stoplist: a self-hosted SMS opt-out service."""


app.command()(serve)
app.command()(config)
app.add_typer(accounts_app, name="accounts")
app.add_typer(keys_app, name="keys")
app.add_typer(dashboard_app, name="dashboard")
app.add_typer(inbound_app, name="inbound")
app.add_typer(keywords_app, name="keywords")
app.add_typer(webhooks_app, name="webhooks")
app.add_typer(review_app, name="review")
app.add_typer(confirmations_app, name="confirmations")
app.add_typer(remote_app, name="remote")
app.add_typer(audit_app, name="audit")
app.add_typer(events_app, name="events")
app.command()(sync)
app.command("import")(import_command)
app.command("export")(export_command)
app.command("backup")(backup_command)


def main() -> None:
    tidy(typer.main.get_command(app))()
