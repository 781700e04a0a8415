"""The ``stoplist`` command.

Each command's module is imported only when that command runs: ``stoplist
remote check`` never loads SQLAlchemy or the server, ``stoplist --version``
and ``stoplist --help`` load none of them. A process start is what a shell
script pays for every call, so it is kept to what the call needs.
``COMMANDS`` names, in the order ``--help`` lists them, where each command
lives and the line ``stoplist --help`` shows for it (``tests/cli/test_help.py``
checks that line against the command's own help).
"""

from __future__ import annotations

from typing import Annotated

import typer

from stoplist import __version__
from stoplist.cli import language
from stoplist.cli.help import tidy
from stoplist.cli.lazy import LazyCommand, LazyGroup
from stoplist.cli.options import use_database_before_command
from stoplist.i18n import Language

COMMANDS = (
    LazyCommand(
        "serve",
        "stoplist.cli.serve:serve",
        "Serve the stop-sms API (and the inbound webhooks and dashboard).",
    ),
    LazyCommand(
        "config",
        "stoplist.cli.config:config",
        "Print every setting as serve would use it (with the same flags), secrets masked.",
    ),
    LazyCommand(
        "sync",
        "stoplist.cli.sync:sync",
        "Pull an upstream stop list into a local account and print what changed.",
    ),
    LazyCommand(
        "import",
        "stoplist.cli.transfer:import_command",
        "Add the numbers of FILE to an account's stop list (never removes anything).",
    ),
    LazyCommand(
        "export",
        "stoplist.cli.transfer:export_command",
        "Write an account's whole stop list as CSV, JSON or NDJSON.",
    ),
    LazyCommand(
        "backup",
        "stoplist.cli.backup:backup_command",
        "Copy the SQLite database to DEST, safely while it is being served.",
    ),
    LazyCommand(
        "copy-database",
        "stoplist.cli.database_copy:copy_database_command",
        "Copy every account, key, stop and event into DEST, with the same ids.",
    ),
    LazyCommand("accounts", "stoplist.cli.accounts:accounts_app", "Create and list accounts."),
    LazyCommand("keys", "stoplist.cli.accounts:keys_app", "Create, list and revoke API keys."),
    LazyCommand("dashboard", "stoplist.cli.dashboard:dashboard_app", "Web dashboard access."),
    LazyCommand(
        "inbound", "stoplist.cli.inbound:inbound_app", "Inbound webhook URLs, tokens and settings."
    ),
    LazyCommand(
        "keywords",
        "stoplist.cli.inbound:keywords_app",
        "An account's opt-out, opt-in and help keywords.",
    ),
    LazyCommand(
        "webhooks",
        "stoplist.cli.webhooks:webhooks_app",
        "Outgoing webhooks: endpoints and deliveries.",
    ),
    LazyCommand(
        "review",
        "stoplist.cli.review:review_app",
        "List, confirm and dismiss possible opt-outs "
        "(messages that asked to stop in other words than a keyword).",
    ),
    LazyCommand(
        "confirmations",
        "stoplist.cli.confirmations:confirmations_app",
        "Confirmations sent after STOP, START and HELP: texts, sender, SMS Partner key.",
    ),
    LazyCommand(
        "remote",
        "stoplist.cli.remote:remote_app",
        "Use a stop list over HTTP (a stoplist server or SMS Partner). "
        "Exit codes: 0 ok / not stopped, 3 stopped, 2 error.",
    ),
    LazyCommand("audit", "stoplist.cli.audit:audit_app", "Prove the history of events intact."),
    LazyCommand("events", "stoplist.cli.audit:events_app", "Export the history of events."),
    LazyCommand(
        "retention",
        "stoplist.cli.retention:retention_app",
        "Blank message texts older than each account's retention period.",
    ),
    LazyCommand(
        "erase",
        "stoplist.cli.erasure:erase_command",
        "Erase NUMBER's texts and the number itself; it stays stopped, kept as a keyed hash.",
    ),
)

app = typer.Typer(
    cls=LazyGroup.of(COMMANDS),
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
    ctx: typer.Context,
    database: Annotated[
        str | None,
        typer.Option(
            "--database",
            metavar="URL",
            help="The database of the command that follows, as its own --database gives it "
            "(which wins when both are given) [env: STOPLIST_DATABASE_URL; default: "
            "stoplist.db in the working directory].",
        ),
    ] = None,
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
    use_database_before_command(ctx, database)


def main() -> None:
    tidy(typer.main.get_command(app))()
