"""``stoplist accounts`` and ``stoplist keys``: accounts and their API keys."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from stoplist.cli.language import _, _in, problem
from stoplist.cli.options import (
    DatabaseOption,
    JsonOption,
    console,
    database_shown,
    fail,
    find_account,
    open_database,
    print_json,
)
from stoplist.domain import clock
from stoplist.domain.accounts import Accounts
from stoplist.domain.retention import Retention
from stoplist.records.models import Account, ApiKey

accounts_app = typer.Typer(help="Create and list accounts.", no_args_is_help=True)
keys_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)


def account_json(account: Account) -> dict[str, object]:
    return {
        "accountId": account.id,
        "name": account.name,
        "defaultRegion": account.default_region,
        "timezone": account.timezone,
        "reasonableMeans": account.reasonable_means,
        "inboundToken": account.inbound_token,
        "createdAt": clock.from_us(account.created_at).isoformat(),
    }


def key_json(key: ApiKey) -> dict[str, object]:
    return {
        "keyId": key.id,
        "accountId": key.account_id,
        "prefix": key.prefix,
        "label": key.label,
        "createdAt": clock.from_us(key.created_at).isoformat(),
        "revokedAt": clock.from_us(key.revoked_at).isoformat() if key.revoked_at else None,
    }


@accounts_app.command("create")
def create_account(
    name: str,
    database: DatabaseOption = None,
    region: Annotated[str, typer.Option(help="Default region for national numbers.")] = "FR",
    timezone: Annotated[str, typer.Option(help="Time zone of createdAt.")] = "Europe/Paris",
    json: JsonOption = False,
) -> None:
    """Create an account and print its API key (shown this once only)."""
    db = open_database(database, create=True)  # the first account may start the database
    try:
        created = Accounts(db).create(name, default_region=region, timezone=timezone)
    except ValueError as exc:
        fail(problem(exc))
    # On stderr: scripts read the key (or the JSON) from stdout.
    typer.echo(
        _(
            "account %(name)s created in %(database)s",
            name=created.account.name,
            database=database_shown(db.url),
        ),
        err=True,
    )
    if json:
        print_json({**account_json(created.account), "apiKey": created.api_key})
        return
    typer.echo(created.api_key)


@accounts_app.command("list")
def list_accounts(database: DatabaseOption = None, json: JsonOption = False) -> None:
    """List accounts."""
    db = open_database(database)
    accounts = Accounts(db).list()
    kept = {account.id: Retention(db, account).days() for account in accounts}
    if json:
        print_json(
            [{**account_json(account), "retentionDays": kept[account.id]} for account in accounts]
        )
        return
    table = Table(
        "id",
        _("name"),
        _("region"),
        _("time zone"),
        _("reasonable means"),
        _("texts kept (days)"),
        _("created"),
    )
    for account in accounts:
        created = clock.from_us(account.created_at, account.zone).strftime("%Y-%m-%d %H:%M %Z")
        table.add_row(
            str(account.id),
            account.name,
            account.default_region,
            account.timezone,
            account.reasonable_means,
            str(kept[account.id]),
            created,
        )
    console.print(table)


@accounts_app.command("update")
def update_account(
    account: Annotated[str, typer.Argument(help="Account name or id.")],
    database: DatabaseOption = None,
    reasonable_means: Annotated[
        str | None,
        typer.Option(
            "--reasonable-means",
            help="What a message that plainly asks to stop in other words than a keyword "
            "does: optout (stopped at once), review (queued for a person to decide; the "
            "default) or off (a reply).",
        ),
    ] = None,
    region: Annotated[str | None, typer.Option(help="Default region for national numbers.")] = None,
    timezone: Annotated[str | None, typer.Option(help="Time zone of createdAt.")] = None,
    retention_days: Annotated[
        int | None,
        typer.Option(
            "--retention-days",
            help="Days message texts are kept before they are blanked (default 1095, "
            "3 years); the stops, their dates and the chain are kept.",
        ),
    ] = None,
    json: JsonOption = False,
) -> None:
    """Change an account's settings."""
    db = open_database(database)
    found = find_account(db, account)
    if retention_days is not None:
        try:
            Retention(db, found).set_days(retention_days)
        except ValueError as exc:
            fail(problem(exc))
    changes: dict[str, object] = {}
    if reasonable_means is not None:
        changes["reasonable_means"] = reasonable_means
    if region is not None:
        changes["default_region"] = region
    if timezone is not None:
        changes["timezone"] = timezone
    if not changes and retention_days is None:
        fail(_("nothing to change"))
    updated = found
    if changes:
        try:
            updated = Accounts(db).update_settings(found, **changes)
        except ValueError as exc:
            fail(problem(exc))
    days = Retention(db, updated).days()
    if json:
        print_json({**account_json(updated), "retentionDays": days})
        return
    typer.echo(
        _(
            "account %(name)s: reasonable means %(mode)s, region %(region)s, "
            "time zone %(timezone)s, texts kept %(days)s days",
            name=updated.name,
            mode=updated.reasonable_means,
            region=updated.default_region,
            timezone=updated.timezone,
            days=days,
        )
    )


@keys_app.command("create")
def create_key(
    account: Annotated[str, typer.Argument(help="Account name or id.")],
    database: DatabaseOption = None,
    label: Annotated[str | None, typer.Option(help="What the key is for.")] = None,
    json: JsonOption = False,
) -> None:
    """Create another API key for an account and print it (shown this once only)."""
    db = open_database(database)
    key, secret = Accounts(db).create_key(find_account(db, account), label)
    if json:
        print_json({**key_json(key), "apiKey": secret})
        return
    typer.echo(secret)


@keys_app.command("list")
def list_keys(
    account: Annotated[str, typer.Argument(help="Account name or id.")],
    database: DatabaseOption = None,
    json: JsonOption = False,
) -> None:
    """List an account's keys (their prefixes only: keys are stored hashed)."""
    db = open_database(database)
    keys = Accounts(db).list_keys(find_account(db, account))
    if json:
        print_json([key_json(key) for key in keys])
        return
    table = Table(
        "id",
        _("prefix"),
        _("label"),
        _in("key", "created"),
        _in("key", "status"),
    )
    for key in keys:
        table.add_row(
            str(key.id),
            key.prefix + "…",
            key.label or "",
            clock.from_us(key.created_at).strftime("%Y-%m-%d %H:%M UTC"),
            _("active") if key.active else _("revoked"),
        )
    console.print(table)


@keys_app.command("revoke")
def revoke_key(
    account: Annotated[str, typer.Argument(help="Account name or id.")],
    key: Annotated[str, typer.Argument(help="The key's id (see keys list) or the key itself.")],
    database: DatabaseOption = None,
    json: JsonOption = False,
) -> None:
    """Revoke a key: requests made with it get code 10 from now on.

    A key revoked already stays so, with its first revocation's time, and the
    command says so and succeeds: a script that runs it twice ends the same way.
    """
    db = open_database(database)
    accounts = Accounts(db)
    found = find_account(db, account)
    revoked_before = {known.id for known in accounts.list_keys(found) if not known.active}
    try:
        revoked = accounts.revoke_key(found, key)
    except LookupError as exc:
        fail(problem(exc))
    if json:
        print_json(key_json(revoked))
        return
    if revoked.id in revoked_before and revoked.revoked_at is not None:
        when = clock.from_us(revoked.revoked_at).strftime("%Y-%m-%d %H:%M UTC")
        typer.echo(
            _(
                "key %(id)s (%(prefix)s…) was already revoked, on %(when)s",
                id=revoked.id,
                prefix=revoked.prefix,
                when=when,
            )
        )
        return
    typer.echo(_("revoked key %(id)s (%(prefix)s…)", id=revoked.id, prefix=revoked.prefix))
