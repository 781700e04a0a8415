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
from stoplist.cli.language import tr
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
            tr(
                f"error: upstream {url}: {message}; nothing was changed",
                f"erreur : source {url} : {message} ; rien n'a été modifié",
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
        "pull": tr("downloading", "téléchargement"),
        "record": tr("recording", "enregistrement"),
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
        typer.echo(tr(f"added    {change.phone_number}", f"ajouté    {change.phone_number}"))
    for change in report.deleted:
        typer.echo(
            tr(
                f"deleted  {change.phone_number} (removed upstream)",
                f"supprimé  {change.phone_number} (retiré à la source)",
            )
        )
    for change in report.removed_upstream:
        typer.echo(
            tr(
                f"removed upstream, still stopped here: {change.phone_number} "
                "(--mirror-deletes to mirror)",
                f"retiré à la source, toujours en opposition ici : {change.phone_number} "
                "(--mirror-deletes pour le retirer aussi)",
            )
        )
    for change in report.kept:
        typer.echo(
            tr(
                "removed upstream, kept here (also stopped by another source): "
                f"{change.phone_number}",
                "retiré à la source, gardé ici (aussi en opposition par une autre voie) : "
                f"{change.phone_number}",
            )
        )
    for change in report.opted_in_here:
        typer.echo(
            tr(
                f"not re-stopped (opted in here after upstream stop): {change.phone_number}",
                "pas remis en opposition (réinscrit ici après l'opposition à la source) : "
                f"{change.phone_number}",
            )
        )
    for number in report.invalid:
        typer.echo(
            tr(
                f"skipped invalid upstream number: {number}",
                f"numéro invalide à la source, ignoré : {number}",
            )
        )


def print_summary(report: SyncReport, *, mirror_deletes: bool, verbose: bool) -> None:
    """The counts, then what deserves a look (without ``--verbose``: how many, not which)."""
    kept = len(report.removed_upstream) + len(report.kept)
    typer.echo(
        tr(
            f"{report.upstream}: {report.upstream_total} upstream, {len(report.added)} added, "
            f"{len(report.deleted)} deleted, {kept} removed upstream but kept, "
            f"{report.unchanged} unchanged",
            f"{report.upstream} : {report.upstream_total} à la source, "
            f"{len(report.added)} ajouté(s), {len(report.deleted)} supprimé(s), "
            f"{kept} retiré(s) à la source mais gardé(s), {report.unchanged} inchangé(s)",
        )
    )
    if verbose:
        return
    notes = []
    if report.removed_upstream and not mirror_deletes:
        notes.append(
            tr(
                f"{len(report.removed_upstream)} removed upstream, still stopped here "
                "(--mirror-deletes to mirror)",
                f"{len(report.removed_upstream)} retiré(s) à la source, toujours en opposition "
                "ici (--mirror-deletes pour les retirer aussi)",
            )
        )
    if report.opted_in_here:
        notes.append(
            tr(
                f"{len(report.opted_in_here)} not re-stopped (opted in here after)",
                f"{len(report.opted_in_here)} pas remis en opposition (réinscrits ici depuis)",
            )
        )
    if report.invalid:
        notes.append(
            tr(
                f"{len(report.invalid)} invalid upstream number(s) skipped",
                f"{len(report.invalid)} numéro(s) invalide(s) à la source ignoré(s)",
            )
        )
    for note in notes:
        typer.echo(note)
    if notes or report.added or report.deleted:
        typer.echo(tr("--verbose lists the numbers", "--verbose liste les numéros"))
