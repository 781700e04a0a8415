"""``stoplist sync``: mirror an upstream account's stop list into a local one.

Meant for cron: nothing is asked, a run that fails changes nothing and exits
non-zero, and running it again is always safe. On a terminal a progress bar
follows the download and the recording (a first sync may bring a million
numbers); the output is a summary, number by number only with ``--verbose``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

from stoplist.cli import language
from stoplist.cli.language import _
from stoplist.cli.options import (
    DatabaseOption,
    JsonOption,
    errors,
    find_account,
    open_database,
    print_json,
)
from stoplist.cli.remote import checked_base_url, error_message
from stoplist.client import Client, StoplistError
from stoplist.domain.stops import StopList
from stoplist.domain.sync import Change, Phase, SyncReport, sync_from
from stoplist.domain.sync import Progress as SyncProgress


def sync(
    from_url: Annotated[
        str,
        typer.Option(
            "--from",
            metavar="URL",
            help="The upstream API's base URL; /v1 is added to a bare host "
            "(SMS Partner: https://api.smspartner.fr/v1).",
        ),
    ],
    account: Annotated[
        str, typer.Option("--account", metavar="ACCOUNT", help="Local account name or id.")
    ],
    from_api_key: Annotated[
        str | None,
        typer.Option(
            "--from-api-key",
            metavar="KEY",
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
        str,
        typer.Option("--from-timezone", metavar="ZONE", help="The upstream account's time zone."),
    ] = "Europe/Paris",
    page_size: Annotated[
        int, typer.Option(min=1, help="Entries per request where the upstream pages.")
    ] = 1000,
    retries: Annotated[
        int, typer.Option(min=0, help="Retries of a failed upstream request, with backoff.")
    ] = 3,
    verbose: Annotated[
        bool,
        typer.Option("--verbose", "-v", help="Print every number added, deleted or skipped."),
    ] = False,
    database: DatabaseOption = None,
    json: JsonOption = False,
) -> None:
    """Pull an upstream stop list into a local account and print what changed."""
    url = checked_base_url(from_url, 1)
    db = open_database(database)
    local = find_account(db, account)
    headers = {"Accept-Language": language.current()}
    try:
        with (
            Client(
                url, from_api_key or "", timezone=from_timezone, retries=retries, headers=headers
            ) as client,
            _progress() as progress,
        ):
            report = sync_from(
                client,
                StopList(db, local),
                mirror_deletes=mirror_deletes,
                page_size=page_size,
                progress=progress,
            )
    except StoplistError as exc:
        # One unwrapped line, so that cron mail and log greps see it whole.
        message = error_message(exc, url)
        typer.echo(
            _(
                "error: upstream %(url)s: %(message)s; nothing was changed",
                url=url,
                message=message,
            ),
            err=True,
        )
        raise typer.Exit(1) from None
    finally:
        db.dispose()
    if json:
        print_json(report_json(report))
        return
    if verbose:
        print_changes(report)
    print_summary(report, mirror_deletes=mirror_deletes, verbose=verbose)


@contextmanager
def _progress() -> Iterator[SyncProgress | None]:
    """Two bars on a terminal stderr (pulled, then recorded); nothing otherwise."""
    if not errors.is_terminal:
        yield None
        return
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=errors,
        transient=True,
    )
    tasks: dict[Phase, TaskID] = {}
    labels: dict[Phase, str] = {
        "pull": _("downloading"),
        "record": _("recording"),
    }

    def update(phase: Phase, done: int, total: int | None) -> None:
        if phase not in tasks:
            tasks[phase] = bar.add_task(labels[phase], total=total)
        bar.update(tasks[phase], completed=done, total=total)

    with bar:
        yield update


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


def print_changes(report: SyncReport) -> None:
    """One line per number that was changed, or left alone for a reason."""
    for change in report.added:
        typer.echo(_("added    %(phone_number)s", phone_number=change.phone_number))
    for change in report.deleted:
        typer.echo(
            _("deleted  %(phone_number)s (removed upstream)", phone_number=change.phone_number)
        )
    for change in report.removed_upstream:
        typer.echo(
            _(
                "removed upstream, still stopped here: %(phone_number)s (--mirror-deletes to "
                "mirror)",
                phone_number=change.phone_number,
            )
        )
    for change in report.kept:
        typer.echo(
            _(
                "removed upstream, kept here (also stopped by another source): %(phone_number)s",
                phone_number=change.phone_number,
            )
        )
    for change in report.opted_in_here:
        typer.echo(
            _(
                "not re-stopped (opted in here after upstream stop): %(phone_number)s",
                phone_number=change.phone_number,
            )
        )
    for number in report.invalid:
        typer.echo(_("skipped invalid upstream number: %(number)s", number=number))


def print_summary(report: SyncReport, *, mirror_deletes: bool, verbose: bool) -> None:
    """The counts, then what deserves a look (without ``--verbose``: how many, not which)."""
    kept = len(report.removed_upstream) + len(report.kept)
    typer.echo(
        _(
            "%(upstream)s: %(upstream_total)s upstream, %(count)s added, %(deleted)s deleted, "
            "%(kept)s removed upstream but kept, %(unchanged)s unchanged",
            upstream=report.upstream,
            upstream_total=report.upstream_total,
            count=len(report.added),
            deleted=len(report.deleted),
            kept=kept,
            unchanged=report.unchanged,
        )
    )
    if verbose:
        return
    notes = []
    if report.removed_upstream and not mirror_deletes:
        notes.append(
            _(
                "%(count)s removed upstream, still stopped here (--mirror-deletes to mirror)",
                count=len(report.removed_upstream),
            )
        )
    if report.opted_in_here:
        notes.append(
            _("%(count)s not re-stopped (opted in here after)", count=len(report.opted_in_here))
        )
    if report.invalid:
        notes.append(_("%(count)s invalid upstream number(s) skipped", count=len(report.invalid)))
    for note in notes:
        typer.echo(note)
    if notes or report.added or report.deleted:
        typer.echo(_("--verbose lists the numbers"))
