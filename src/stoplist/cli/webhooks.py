"""``stoplist webhooks``: where an account's opt-outs and opt-ins are sent."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.table import Table

from stoplist.cli.language import _, _in, problem
from stoplist.cli.options import (
    DatabaseOption,
    JsonOption,
    console,
    fail,
    find_account,
    open_configured,
    open_database,
    print_json,
    settings_from,
)
from stoplist.domain import clock
from stoplist.domain.webhook_urls import RefusedUrl
from stoplist.domain.webhooks import Outbox, Webhooks
from stoplist.outbound.dispatch import deliver_due
from stoplist.storage.webhooks import AttemptRow, DeliveryRow, EndpointRow

webhooks_app = typer.Typer(
    help="Outgoing webhooks: endpoints and deliveries.", no_args_is_help=True
)

AccountArgument = Annotated[str, typer.Argument(help="Account name or id.")]


def _time(instant: int | None) -> str | None:
    return clock.from_us(instant).isoformat() if instant is not None else None


def endpoint_json(endpoint: EndpointRow) -> dict[str, object]:
    return {
        "endpointId": endpoint.id,
        "url": endpoint.url,
        "createdAt": _time(endpoint.created_at),
        "disabledAt": _time(endpoint.disabled_at),
    }


def delivery_json(delivery: DeliveryRow, attempts: list[AttemptRow]) -> dict[str, object]:
    return {
        "deliveryId": delivery.id,
        "endpointId": delivery.endpoint_id,
        "eventId": delivery.event_id,
        "webhookId": delivery.message_id,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "nextAttemptAt": _time(delivery.next_attempt_at) if delivery.status == "pending" else None,
        "lastStatusCode": delivery.last_status_code,
        "lastError": delivery.last_error,
        "createdAt": _time(delivery.created_at),
        "deliveredAt": _time(delivery.delivered_at),
        "attemptLog": [
            {
                "attemptedAt": _time(attempt.attempted_at),
                "statusCode": attempt.status_code,
                "error": attempt.error,
                "durationMs": attempt.duration_ms,
            }
            for attempt in attempts
        ],
    }


@webhooks_app.command("add")
def add(
    account: AccountArgument,
    url: Annotated[str, typer.Argument(help="Public http(s) URL to POST events to.")],
    database: DatabaseOption = None,
    json: JsonOption = False,
) -> None:
    """Register an endpoint and print its signing secret (shown this once only)."""
    settings = settings_from(database_url=database)
    db = open_configured(settings)
    try:
        created = Webhooks(
            db, find_account(db, account), allow_private=settings.webhook_allow_private
        ).add(url)
    except RefusedUrl as exc:
        fail(problem(exc))
    if json:
        print_json({**endpoint_json(created.endpoint), "secret": created.secret})
        return
    typer.echo(
        _("endpoint %(id)s: %(url)s", id=created.endpoint.id, url=created.endpoint.url), err=True
    )
    typer.echo(
        _("Signing secret (shown once; verify with any Standard Webhooks library):"), err=True
    )
    typer.echo(created.secret)


@webhooks_app.command("list")
def list_endpoints(
    account: AccountArgument,
    database: DatabaseOption = None,
    all_: Annotated[bool, typer.Option("--all", help="Include removed endpoints.")] = False,
    json: JsonOption = False,
) -> None:
    """List an account's endpoints (never their secrets)."""
    db = open_database(database)
    endpoints = Webhooks(db, find_account(db, account)).list(include_disabled=all_)
    if json:
        print_json([endpoint_json(endpoint) for endpoint in endpoints])
        return
    table = Table("id", "url", _in("key", "created"), _in("key", "status"))
    for endpoint in endpoints:
        table.add_row(
            str(endpoint.id),
            endpoint.url,
            clock.from_us(endpoint.created_at).strftime("%Y-%m-%d %H:%M UTC"),
            "removed" if endpoint.disabled_at else "active",
        )
    console.print(table)


@webhooks_app.command("remove")
def remove(
    account: AccountArgument,
    endpoint_id: Annotated[int, typer.Argument(help="The endpoint's id (see webhooks list).")],
    database: DatabaseOption = None,
) -> None:
    """Stop sending to an endpoint; its pending deliveries are cancelled."""
    db = open_database(database)
    try:
        removed = Webhooks(db, find_account(db, account)).remove(endpoint_id)
    except LookupError as exc:
        fail(problem(exc))
    typer.echo(_("removed endpoint %(id)s (%(url)s)", id=removed.id, url=removed.url))


@webhooks_app.command("deliveries")
def deliveries(
    account: AccountArgument,
    database: DatabaseOption = None,
    status: Annotated[
        str | None, typer.Option(help="pending, delivered, failed or cancelled.")
    ] = None,
    endpoint: Annotated[int | None, typer.Option(help="Only this endpoint's.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10000)] = 50,
    json: JsonOption = False,
) -> None:
    """Recent deliveries, newest first, with every attempt."""
    db = open_database(database)
    found = Webhooks(db, find_account(db, account)).deliveries(
        status=status, endpoint_id=endpoint, limit=limit
    )
    if json:
        print_json([delivery_json(delivery, attempts) for delivery, attempts in found])
        return
    table = Table(
        "id",
        _("endpoint"),
        _("event"),
        _in("key", "status"),
        _("attempts"),
        _("last result"),
        _("next attempt"),
    )
    for delivery, _attempts in found:
        last = delivery.last_error or (str(delivery.last_status_code or "") or "-")
        upcoming = delivery.status == "pending"
        table.add_row(
            str(delivery.id),
            str(delivery.endpoint_id),
            str(delivery.event_id),
            delivery.status,
            str(delivery.attempts),
            last,
            clock.from_us(delivery.next_attempt_at).strftime("%Y-%m-%d %H:%M:%S UTC")
            if upcoming
            else "",
        )
    console.print(table)


@webhooks_app.command("deliver")
def deliver(
    database: DatabaseOption = None,
    now: Annotated[
        bool, typer.Option("--now", help="Retry pending deliveries now, ignoring backoff.")
    ] = False,
) -> None:
    """Send every due delivery once, then exit ('stoplist serve' does this continuously)."""
    settings = settings_from(database_url=database)
    db = open_configured(settings)
    if now:
        Outbox(db).make_due()
    attempted = asyncio.run(deliver_due(db, settings))
    typer.echo(_("%(attempted)s deliveries attempted", attempted=attempted))
