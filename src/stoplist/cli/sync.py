"""``stoplist sync``: mirror an upstream account's stop list into a local one.

Meant for cron: nothing is asked, a run that fails changes nothing and exits
non-zero, and running it again is always safe.
"""

from __future__ import annotations

from typing import Annotated

import typer

from stoplist.cli.options import (
    DatabaseOption,
    JsonOption,
    find_account,
    open_database,
    print_json,
)
from stoplist.client import Client, StoplistError
from stoplist.domain.stops import StopList
from stoplist.domain.sync import Change, SyncReport, sync_from


def sync(
    from_url: Annotated[
        str,
        typer.Option(
            "--from",
            help="The upstream API's base URL (SMS Partner: https://api.smspartner.fr/v1).",
        ),
    ],
    account: Annotated[str, typer.Option("--account", help="Local account name or id.")],
    from_api_key: Annotated[
        str | None,
        typer.Option(
            "--from-api-key",
            envvar="STOPLIST_FROM_API_KEY",
            show_envvar=True,
            help="The upstream account's API key (prefer the variable: argv is visible to ps).",
        ),
    ] = None,
    mirror_deletes: Annotated[
        bool,
        typer.Option(
            "--mirror-deletes",
            help="Also take off the local list the numbers removed upstream "
            "(only those nothing else stopped here).",
        ),
    ] = False,
    from_timezone: Annotated[
        str, typer.Option("--from-timezone", help="The upstream account's time zone.")
    ] = "Europe/Paris",
    page_size: Annotated[
        int, typer.Option(help="Entries per request where the upstream pages.")
    ] = 1000,
    retries: Annotated[
        int, typer.Option(help="Retries of a failed upstream request, with backoff.")
    ] = 3,
    database: DatabaseOption = None,
    json: JsonOption = False,
) -> None:
    """Pull an upstream stop list into a local account and print what changed."""
    db = open_database(database)
    local = find_account(db, account)
    try:
        with Client(
            from_url, from_api_key or "", timezone=from_timezone, retries=retries
        ) as client:
            report = sync_from(
                client, StopList(db, local), mirror_deletes=mirror_deletes, page_size=page_size
            )
    except StoplistError as exc:
        # One unwrapped line, so that cron mail and log greps see it whole.
        typer.echo(f"error: upstream {from_url}: {exc}; nothing was changed", err=True)
        raise typer.Exit(1) from None
    if json:
        print_json(report_json(report))
    else:
        print_report(report, mirror_deletes=mirror_deletes)


def _changes(changes: list[Change]) -> list[dict[str, object]]:
    return [{"phoneNumber": c.phone_number, "upstreamId": c.upstream_id} for c in changes]


def report_json(report: SyncReport) -> dict[str, object]:
    return {
        "upstream": report.upstream,
        "upstreamTotal": report.upstream_total,
        "added": _changes(report.added),
        "deleted": _changes(report.deleted),
        "removedUpstream": _changes(report.removed_upstream),
        "kept": _changes(report.kept),
        "optedInHere": _changes(report.opted_in_here),
        "invalid": report.invalid,
        "unchanged": report.unchanged,
    }


def print_report(report: SyncReport, *, mirror_deletes: bool) -> None:
    for change in report.added:
        typer.echo(f"added    {change.phone_number}")
    for change in report.deleted:
        typer.echo(f"deleted  {change.phone_number} (removed upstream)")
    for change in report.removed_upstream:
        typer.echo(
            f"removed upstream, still stopped here: {change.phone_number} "
            "(--mirror-deletes to mirror)"
        )
    for change in report.kept:
        typer.echo(
            f"removed upstream, kept here (also stopped by another source): {change.phone_number}"
        )
    for change in report.opted_in_here:
        typer.echo(f"not re-stopped (opted in here after upstream stop): {change.phone_number}")
    for number in report.invalid:
        typer.echo(f"skipped invalid upstream number: {number}")
    typer.echo(
        f"{report.upstream}: {report.upstream_total} upstream, {len(report.added)} added, "
        f"{len(report.deleted)} deleted, "
        f"{len(report.removed_upstream) + len(report.kept)} removed upstream but kept, "
        f"{report.unchanged} unchanged"
    )
