"""``stoplist confirmations``: what a person gets back after STOP, START or HELP."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from stoplist.cli.language import _, problem
from stoplist.cli.options import (
    DatabaseOption,
    JsonOption,
    console,
    fail,
    find_account,
    open_database,
    print_json,
)
from stoplist.domain.confirmations import KINDS, Confirmations, ConfirmationSettings
from stoplist.domain.reasonable_means import LANGUAGES

confirmations_app = typer.Typer(
    help="Confirmations sent after STOP, START and HELP: texts, sender, SMS Partner key.",
    no_args_is_help=True,
)

AccountArgument = Annotated[str, typer.Argument(help="Account name or id.")]
KindArgument = Annotated[str, typer.Argument(help=", ".join(kind.value for kind in KINDS) + ".")]
LanguageArgument = Annotated[str, typer.Argument(help=", ".join(LANGUAGES) + ".")]


@confirmations_app.command("show")
def show(
    account: AccountArgument, database: DatabaseOption = None, json: JsonOption = False
) -> None:
    """The sender, how confirmations are sent, and every text (the account's or the default)."""
    db = open_database(database)
    confirmations = Confirmations(db, find_account(db, account))
    settings = confirmations.settings()
    texts = confirmations.texts()
    if json:
        print_json(
            {
                **_described(settings),
                "texts": [
                    {
                        "kind": t.kind.value,
                        "language": t.language,
                        "text": t.text,
                        "custom": t.custom,
                    }
                    for t in texts
                ],
            }
        )
        return
    typer.echo(_("confirmations: %(state)s", state=_("on") if settings.enabled else _("off")))
    typer.echo(_("sender: %(sender)s", sender=settings.sender))
    if settings.smspartner_key_hint:
        typer.echo(
            _(
                "sent by stoplist through SMS Partner (key %(hint)s)",
                hint=settings.smspartner_key_hint,
            )
        )
    else:
        typer.echo(_("given in the provider's webhook answer (no SMS Partner key)"))
    table = Table(_("kind"), _("language"), _("text"), _("own"))
    for text in texts:
        table.add_row(text.kind.value, text.language, text.text, _("yes") if text.custom else "")
    console.print(table)


@confirmations_app.command("configure")
def configure(
    account: AccountArgument,
    sender: Annotated[
        str | None,
        typer.Option(
            help="The name texts sign with (where they say sender in braces); "
            "empty: the account's name."
        ),
    ] = None,
    smspartner_key: Annotated[
        str | None,
        typer.Option(help="SMS Partner API key to send confirmations with ('-': read from stdin)."),
    ] = None,
    no_smspartner_key: Annotated[
        bool,
        typer.Option(
            "--no-smspartner-key", help="Forget the key: the webhook answers carry them again."
        ),
    ] = False,
    enabled: Annotated[
        bool | None, typer.Option("--enable/--disable", help="Whether confirmations are given.")
    ] = None,
    database: DatabaseOption = None,
    json: JsonOption = False,
) -> None:
    """Change the sender, the SMS Partner key, or switch confirmations on or off."""
    if smspartner_key is not None and no_smspartner_key:
        fail(_("give either --smspartner-key or --no-smspartner-key"))
    if smspartner_key == "-":
        smspartner_key = sys.stdin.readline().strip()
    db = open_database(database)
    try:
        settings = Confirmations(db, find_account(db, account)).update(
            enabled=enabled,
            sender=sender,
            smspartner_key=smspartner_key,
            forget_smspartner_key=no_smspartner_key,
        )
    except ValueError as exc:
        fail(problem(exc))
    if json:
        print_json(_described(settings))
        return
    typer.echo(_("confirmation settings saved"))


@confirmations_app.command("set")
def set_text(
    account: AccountArgument,
    kind: KindArgument,
    language: LanguageArgument,
    text: Annotated[
        str | None,
        typer.Argument(help="The text; sender in curly braces stands for the sender's name."),
    ] = None,
    default: Annotated[
        bool, typer.Option("--default", help="Go back to the built-in text.")
    ] = False,
    database: DatabaseOption = None,
) -> None:
    """Set the account's own text for one kind and language (or go back to the default)."""
    if (text is None) == (not default):
        fail(_("give either a TEXT or --default"))
    db = open_database(database)
    confirmations = Confirmations(db, find_account(db, account))
    try:
        saved = confirmations.set_text(kind, language, None if default else text)
        preview = confirmations.preview(saved.kind, saved.language)
    except ValueError as exc:
        fail(problem(exc))
    typer.echo(preview)


def _described(settings: ConfirmationSettings) -> dict[str, object]:
    return {
        "enabled": settings.enabled,
        "sender": settings.sender,
        "smspartnerKey": settings.smspartner_key_hint,
        "sentBy": "smspartner" if settings.sends_itself else "webhook answer",
    }
