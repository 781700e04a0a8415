"""``stoplist review``: possible opt-outs waiting for a person to decide."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import msgspec
import typer
from rich.table import Table

from stoplist.api.review import review_item
from stoplist.cli.language import _, _in, problem
from stoplist.cli.options import (
    DatabaseOption,
    JsonOption,
    console,
    fail,
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
        fail(_("status is pending, confirmed, dismissed or all"))
    db = open_database(database)
    queue = ReviewQueue(db, find_account(db, account))
    items = queue.items(status=None if status == "all" else Status(status), limit=limit)
    now = clock.now_us()
    if json:
        print_json([msgspec.to_builtins(review_item(entry, _utc, now)) for entry in items])
        return
    table = Table(
        "id",
        _in("review", "number"),
        _in("review", "received"),
        _in("review", "message"),
        _in("review", "status"),
    )
    for item in items:
        received = clock.from_us(item.message_at).strftime("%Y-%m-%d %H:%M UTC")
        state = item.status.value
        if item.overdue(now):
            state = _("%(status)s (overdue)", status=state)
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
        fail(problem(exc))
    if json:
        print_json(msgspec.to_builtins(review_item(item, _utc, clock.now_us())))
        return
    if confirmed:
        typer.echo(_("%(number)s stopped", number=item.phone_number))
        if item.reply is not None and item.reply.queued:
            typer.echo(_("opt-out confirmation queued for SMS Partner"))
        elif item.reply is not None:
            typer.echo(_("send this opt-out confirmation: %(text)s", text=item.reply.text))
    else:
        typer.echo(_("item %(id)s dismissed", id=item.id))
