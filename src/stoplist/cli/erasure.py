"""``stoplist erase``: erase a number at its owner's request (``domain.erasure``)."""

from __future__ import annotations

from typing import Annotated

import typer

from stoplist.api.list_cache import ListCache
from stoplist.cli.language import _, problem
from stoplist.cli.options import (
    DatabaseOption,
    JsonOption,
    fail,
    find_account,
    open_configured,
    print_json,
    settings_from,
)
from stoplist.domain import clock, erasure
from stoplist.domain.errors import StoplistError
from stoplist.domain.stops import StopList
from stoplist.records.events import Source
from stoplist.storage.erasures import Concealed


def erase_command(
    number: Annotated[str, typer.Argument(help="The number to erase.")],
    account: Annotated[str, typer.Option("--account", help="Account name or id.")],
    database: DatabaseOption = None,
    by: Annotated[str, typer.Option("--by", help="Who asked or acted (kept).")] = "cli",
    reason: Annotated[str | None, typer.Option("--reason", help="Why (kept).")] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    json: JsonOption = False,
) -> None:
    """Erase NUMBER's texts and the number itself; it stays stopped, kept as a keyed hash."""
    settings = settings_from(database_url=database)
    db = open_configured(settings)
    try:
        stop_list = StopList(db, find_account(db, account))
        try:
            normal = stop_list.normalize(number)
        except StoplistError as exc:
            fail(problem(exc))
        if not yes and not typer.confirm(
            _("Erase %(number)s? This cannot be undone.", number=normal)
        ):
            fail(_("nothing erased"))
        try:
            done = erasure.erase(
                stop_list, normal, source=Source.CLI, actor=by.strip() or "cli", reason=reason
            )
        except StoplistError as exc:
            fail(problem(exc))
        # This machine's kept copies of the whole list name the number (a server's
        # other copies are made again at their next listing).
        ListCache.for_database(db, settings.list_cache_dir).forget(stop_list.account.id)
    finally:
        db.dispose()
    when = clock.from_us(done.erased_at).isoformat()
    if json:
        print_json(
            {
                "phoneNumber": done.phone_number,
                "stopId": done.stop_id,
                "erasedAt": when,
                "eventId": done.event_id,
                "already": done.already,
                "concealed": _concealed(done.concealed),
            }
        )
    elif done.already:
        typer.echo(_("%(number)s was erased already, at %(when)s", number=normal, when=when))
    else:
        typer.echo(
            _(
                "%(number)s erased: it stays stopped (entry %(stop)s), kept only as a keyed hash",
                number=normal,
                stop=done.stop_id,
            )
        )


def _concealed(counts: Concealed | None) -> dict[str, int] | None:
    """How many rows of each kind the erasure rewrote or deleted (None: erased before)."""
    if counts is None:
        return None
    return {
        "events": counts.events,
        "reviewItems": counts.review_items,
        "confirmations": counts.confirmations,
        "webhookDeliveries": counts.webhook_deliveries,
        "inboundParts": counts.inbound_parts,
    }
