"""The ``stoplist`` command."""

from __future__ import annotations

import typer

from stoplist.cli.accounts import accounts_app, keys_app
from stoplist.cli.config import config
from stoplist.cli.dashboard import dashboard_app
from stoplist.cli.inbound import inbound_app, keywords_app
from stoplist.cli.remote import remote_app
from stoplist.cli.serve import serve
from stoplist.cli.sync import sync
from stoplist.cli.transfer import export_command, import_command
from stoplist.cli.webhooks import webhooks_app

app = typer.Typer(
    help="stoplist: a self-hosted SMS opt-out service.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.command()(serve)
app.command()(config)
app.add_typer(accounts_app, name="accounts")
app.add_typer(keys_app, name="keys")
app.add_typer(dashboard_app, name="dashboard")
app.add_typer(inbound_app, name="inbound")
app.add_typer(keywords_app, name="keywords")
app.add_typer(webhooks_app, name="webhooks")
app.add_typer(remote_app, name="remote")
app.command()(sync)
app.command("import")(import_command)
app.command("export")(export_command)


def main() -> None:
    app()
