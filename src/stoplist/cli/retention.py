"""``stoplist retention``: blank message texts older than each account's period.

The server sweeps once an hour (``outbound.dispatch``); ``apply`` runs the
same sweep now, for one account or all, and ``show`` prints an account's
period and its last sweeps (what a compliance officer asks to see).
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from stoplist.cli.language import _
from stoplist.cli.options import (
    DatabaseOption,
    JsonOption,
    console,
    find_account,
    open_database,
    print_json,
)
from stoplist.domain import clock
from stoplist.domain.accounts import Accounts
from stoplist.domain.retention import Outcome, Retention, apply_all
from stoplist.records.events import Source

retention_app = typer.Typer(
    help="Blank message texts older than each account's retention period.",
    no_args_is_help=True,
)


def _outcome_json(outcome: Outcome) -> dict[str, object]:
    return {
        "account": outcome.account.name,
        "retentionDays": outcome.retention_days,
        "cutoff": clock.from_us(outcome.cutoff).isoformat(),
        "textsBlanked": outcome.texts_blanked,
        "reviewTextsBlanked": outcome.review_texts_blanked,
        "eventId": outcome.event_id,
    }


@retention_app.command("apply")
def apply_command(
    account: Annotated[
        str | None, typer.Option(help="Only this account (name or id); default: every account.")
    ] = None,
    database: DatabaseOption = None,
    by: Annotated[str, typer.Option("--by", help="Who ran the sweep (kept in its event).")] = "cli",
    json: JsonOption = False,
) -> None:
    """Blank now the texts of events older than the retention period (by event time)."""
    db = open_database(database)
    chosen = [find_account(db, account)] if account is not None else Accounts(db).list()
    outcomes = apply_all(db, chosen, source=Source.CLI, actor=by.strip() or "cli")
    if json:
        print_json([_outcome_json(outcome) for outcome in outcomes])
        return
    for outcome in outcomes:
        typer.echo(
            _(
                "account %(name)s: %(texts)s texts and %(reviews)s review texts blanked "
                "(kept %(days)s days)",
                name=outcome.account.name,
                texts=outcome.texts_blanked,
                reviews=outcome.review_texts_blanked,
                days=outcome.retention_days,
            )
        )


@retention_app.command("show")
def show_command(
    account: Annotated[str, typer.Argument(help="Account name or id.")],
    database: DatabaseOption = None,
    json: JsonOption = False,
) -> None:
    """Print an account's retention period and its latest sweeps."""
    db = open_database(database)
    found = find_account(db, account)
    retention = Retention(db, found)
    days, history = retention.days(), retention.history()
    if json:
        print_json(
            {
                "account": found.name,
                "retentionDays": days,
                "sweeps": [
                    {
                        "eventId": sweep.event_id,
                        "ranAt": clock.from_us(sweep.ran_at).isoformat(),
                        "retentionDays": sweep.retention_days,
                        "cutoff": clock.from_us(sweep.cutoff).isoformat(),
                        "textsBlanked": sweep.texts_blanked,
                        "reviewTextsBlanked": sweep.review_texts_blanked,
                        "source": sweep.source.value,
                        "actor": sweep.actor,
                    }
                    for sweep in history
                ],
            }
        )
        return
    typer.echo(_("account %(name)s keeps texts %(days)s days", name=found.name, days=days))
    table = Table(_("swept"), _("period (days)"), _("older than"), _("texts"), _("review texts"))
    for sweep in history:
        table.add_row(
            clock.from_us(sweep.ran_at, found.zone).strftime("%Y-%m-%d %H:%M %Z"),
            str(sweep.retention_days),
            clock.from_us(sweep.cutoff, found.zone).strftime("%Y-%m-%d %H:%M %Z"),
            str(sweep.texts_blanked),
            str(sweep.review_texts_blanked),
        )
    console.print(table)
