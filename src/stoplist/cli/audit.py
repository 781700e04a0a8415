"""``stoplist audit verify`` and ``stoplist events export``: the history as evidence.

``audit verify`` walks each account's hash chain (``domain.audit``) and
exits non-zero naming the first event changed, removed or inserted by hand;
``events export`` streams an account's events (``domain.event_export``).
"""

from __future__ import annotations

import sys
from contextlib import closing
from pathlib import Path
from typing import IO, Annotated

import typer

from stoplist.cli.language import _, problem
from stoplist.cli.options import (
    DatabaseOption,
    JsonOption,
    fail,
    find_account,
    open_database,
    print_json,
)
from stoplist.domain.accounts import Accounts
from stoplist.domain.audit import AccountAudit, Break, Fault, Problem, verify
from stoplist.domain.errors import StoplistError
from stoplist.domain.event_export import event_chunks, export_range
from stoplist.domain.exports import export_format

BROKEN_EXIT = 3
"""``audit verify`` found a history that is not the one recorded."""

audit_app = typer.Typer(help="Prove the history of events intact.", no_args_is_help=True)
events_app = typer.Typer(help="Export the history of events.", no_args_is_help=True)


@audit_app.command("verify")
def verify_command(
    account: Annotated[
        str | None, typer.Option("--account", help="Account name or id (default: every one).")
    ] = None,
    database: DatabaseOption = None,
    json: JsonOption = False,
) -> None:
    """Check every event against the account's hash chain; exit 3 at the first break."""
    db = open_database(database)
    try:
        chosen = [find_account(db, account)] if account else Accounts(db).list()
        audits = [verify(db, one) for one in chosen]
    finally:
        db.dispose()
    if json:
        print_json([_audit_json(audit) for audit in audits])
    else:
        for audit in audits:
            line = audit_line(audit)
            if audit.intact:
                typer.echo(line)
            else:
                typer.echo(line, err=True)
    if not all(audit.intact for audit in audits):
        raise typer.Exit(BROKEN_EXIT)


def _audit_json(audit: AccountAudit) -> dict[str, object]:
    broken = audit.broken
    return {
        "account": audit.account.name,
        "intact": audit.intact,
        "events": audit.length,
        "head": audit.head.hex(),
        "problem": None
        if broken is None
        else {
            "kind": broken.problem.value,
            "eventId": broken.event_id,
            "position": broken.position,
            "fault": broken.fault.value if broken.fault else None,
            "missing": broken.missing,
        },
        "message": audit_line(audit),
    }


def audit_line(audit: AccountAudit) -> str:
    name = audit.account.name
    if audit.broken is None:
        return _(
            "%(account)s: intact, %(count)s events, chain head %(head)s",
            account=name,
            count=audit.length,
            head=audit.head.hex(),
        )
    return _broken(name, audit.broken)


def _broken(name: str, broken: Break) -> str:
    where = {"account": name, "id": broken.event_id, "position": broken.position}
    if broken.problem is Problem.INSERTED:
        return _("%(account)s: event %(id)s was inserted by hand (it is not in the chain)", **where)
    if broken.problem is Problem.REMOVED:
        if broken.event_id is None:
            return _(
                "%(account)s: the last %(missing)s event(s) of the chain were removed "
                "(from position %(position)s)",
                missing=broken.missing,
                **where,
            )
        return _(
            "%(account)s: %(missing)s event(s) removed before event %(id)s "
            "(from position %(position)s)",
            missing=broken.missing,
            **where,
        )
    if broken.fault is Fault.TEXT:
        return _(
            "%(account)s: event %(id)s (position %(position)s) was changed: its text "
            "does not match its digest",
            **where,
        )
    if broken.fault is Fault.NUMBER:
        return _(
            "%(account)s: event %(id)s (position %(position)s) was changed: its phone "
            "number does not match its digest",
            **where,
        )
    if broken.fault is Fault.LINK:
        return _(
            "%(account)s: event %(id)s (position %(position)s) does not follow the event "
            "before it: that one was changed or replaced",
            **where,
        )
    return _(
        "%(account)s: event %(id)s (position %(position)s) was changed: its content "
        "does not match its hash",
        **where,
    )


@events_app.command("export")
def export_command(
    account: Annotated[str, typer.Option("--account", help="Account name or id.")],
    since: Annotated[
        str | None,
        typer.Option(help="Events at or after this time (YYYY-MM-DD[ HH:MM[:SS]], ISO 8601)."),
    ] = None,
    until: Annotated[str | None, typer.Option(help="Events before this time.")] = None,
    format: Annotated[str, typer.Option("--format", help="csv | ndjson | json")] = "csv",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """Write an account's events (with their chain links) as CSV or NDJSON, in chain order."""
    db = open_database(database)
    try:
        found = find_account(db, account)
        try:
            fmt = export_format(format)
            start, end = export_range(since, until, found)
        except StoplistError as exc:
            fail(problem(exc))
        sink: IO[bytes] = output.open("wb") if output else sys.stdout.buffer
        try:
            with closing(event_chunks(db, found, fmt, since=start, until=end)) as chunks:
                for chunk in chunks:
                    sink.write(chunk)
        finally:
            if output:
                sink.close()
            else:
                sink.flush()
    finally:
        db.dispose()
