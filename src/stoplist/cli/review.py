"""``stoplist review``: possible opt-outs waiting for a person to decide."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer
from rich.table import Table

from stoplist.api.review import item_json
from stoplist.cli.language import current, tr
from stoplist.cli.options import (
    DatabaseOption,
    JsonOption,
    console,
    fail_localized,
    fail_tr,
    find_account,
    open_database,
    print_json,
)
from stoplist.domain import clock
from stoplist.domain.errors import StoplistError
from stoplist.domain.review import LISTABLE, MAX_PAGE, ReviewQueue, Status
from stoplist.records.events import Source

review_app = typer.Typer(
    help="List, confirm and dismiss possible opt-outs (messages that asked to stop "
    "in other words than a keyword).",
    no_args_is_help=True,
)

AccountOption = Annotated[str, typer.Option("--account", help="Account name or id.")]
ByOption = Annotated[str, typer.Option("--by", help="Who decides (kept on the number's history).")]
ReasonOption = Annotated[
    str | None, typer.Option("--reason", help="Why (kept on the number's history).")
]


def _utc(instant: int) -> str:
    return clock.from_us(instant).isoformat()


@review_app.command("list")
def list_items(
    account: AccountOption,
    database: DatabaseOption = None,
    status: Annotated[str, typer.Option(help="pending, confirmed, dismissed or all.")] = "pending",
    limit: Annotated[int, typer.Option(min=1, max=MAX_PAGE, help="At most this many.")] = 100,
    json: JsonOption = False,
) -> None:
    """List the review queue, oldest first."""
    if status not in LISTABLE:
        fail_tr(
            "status is pending, confirmed, dismissed or all",
            "l'état est pending, confirmed, dismissed ou all",
        )
    db = open_database(database)
    queue = ReviewQueue(db, find_account(db, account))
    items = queue.items(status=None if status == "all" else Status(status), limit=limit)
    now = clock.now_us()
    if json:
        print_json([item_json(item, _utc, now) for item in items])
        return
    table = Table(
        "id",
        tr("number", "numéro"),
        tr("received", "reçu le"),
        tr("message", "message"),
        tr("status", "état"),
    )
    for item in items:
        received = clock.from_us(item.message_at).strftime("%Y-%m-%d %H:%M UTC")
        state = item.status.value + (tr(" (overdue)", " (en retard)") if item.overdue(now) else "")
        table.add_row(str(item.id), item.phone_number, received, item.text, state)
    console.print(table)


def _decision(confirmed: bool) -> Callable[..., None]:
    """The ``confirm`` or ``dismiss`` command: the same options, the other decision."""

    def command(
        item: Annotated[str, typer.Argument(help="The item's id (see review list).")],
        account: AccountOption,
        database: DatabaseOption = None,
        by: ByOption = "cli",
        reason: ReasonOption = None,
        json: JsonOption = False,
    ) -> None:
        _decide(item, account, database, by, reason, json, confirmed=confirmed)

    return command


review_app.command(
    "confirm", help="Confirm a possible opt-out: the number is stopped as of the message's time."
)(_decision(True))
review_app.command("dismiss", help="Dismiss a possible opt-out: the message stays a reply.")(
    _decision(False)
)


def _decide(
    item_id: str,
    account: str,
    database: str | None,
    by: str,
    reason: str | None,
    json: bool,
    *,
    confirmed: bool,
) -> None:
    db = open_database(database)
    queue = ReviewQueue(db, find_account(db, account))
    decide = queue.confirm if confirmed else queue.dismiss
    try:
        item = decide(item_id, source=Source.CLI, actor=by.strip() or "cli", reason=reason)
    except StoplistError as exc:
        fail_localized(exc.message(current()) + (f" ({exc.detail})" if exc.detail else ""))
    if json:
        print_json(item_json(item, _utc, clock.now_us()))
        return
    if confirmed:
        typer.echo(tr(f"{item.phone_number} stopped", f"{item.phone_number} désinscrit"))
    else:
        typer.echo(tr(f"item {item.id} dismissed", f"élément {item.id} écarté"))
