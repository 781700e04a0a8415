"""``stoplist remote``: a stop list over HTTP, from a shell.

Talks to any server speaking the API (a stoplist server, SMS Partner) through
``stoplist.client``. Tables on a terminal, ``--json`` for scripts. Exit codes:
0 done (for ``check``: not stopped, you may send), 3 stopped (``check``) or
already stopped (``add``), 2 anything that went wrong (usage, API error,
network), so ``stoplist remote check "$n" && send "$n"`` only ever sends to
a number the server says is not stopped.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Any, Literal

import typer
from rich.table import Table

from stoplist.cli.options import JsonOption, console, fail, print_json
from stoplist.client import AlreadyStopped, Client, StoplistError
from stoplist.client.models import Check, FilterItem, HistoryEvent, Stop

BASE_URL_ENV = "STOPLIST_BASE_URL"
DEFAULT_REMOTE_URL = "http://127.0.0.1:8080/v1"
EXIT_OK = 0
EXIT_ERROR = 2
EXIT_STOPPED = 3

remote_app = typer.Typer(
    help="Use a stop list over HTTP (a stoplist server or SMS Partner). "
    "Exit codes: 0 ok / not stopped, 3 stopped, 2 error.",
    no_args_is_help=True,
)

BaseUrlOption = Annotated[
    str,
    typer.Option(
        "--base-url",
        envvar=BASE_URL_ENV,
        show_envvar=True,
        help="The API's base URL, ending in /v1 (SMS Partner: https://api.smspartner.fr/v1).",
    ),
]
ApiKeyOption = Annotated[
    str | None,
    typer.Option("--api-key", envvar="STOPLIST_API_KEY", show_envvar=True, help="The API key."),
]
FormatOption = Annotated[
    str, typer.Option("--format", help="Wire format to ask the server for: json or xml.")
]
TimezoneOption = Annotated[
    str, typer.Option("--timezone", help="The account's time zone (the API's times are in it).")
]


@contextmanager
def _client(base_url: str, api_key: str | None, fmt: str, timezone: str) -> Iterator[Client]:
    """A client whose failures become a message and exit code 2."""
    if fmt not in ("json", "xml"):
        fail("--format must be json or xml", EXIT_ERROR)
    try:
        with Client(base_url, api_key, format=fmt, timezone=timezone) as client:  # type: ignore[arg-type]
            yield client
    except StoplistError as exc:
        fail(str(exc), EXIT_ERROR)
    except ValueError as exc:
        fail(str(exc), EXIT_ERROR)


def _time(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else None


def stop_json(stop: Stop) -> dict[str, Any]:
    return {"id": stop.id, "phoneNumber": stop.phone_number, "createdAt": _iso(stop.created_at)}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


@remote_app.command("list")
def list_stops(
    base_url: BaseUrlOption = DEFAULT_REMOTE_URL,
    api_key: ApiKeyOption = None,
    fmt: FormatOption = "json",
    timezone: TimezoneOption = "Europe/Paris",
    page_size: Annotated[int, typer.Option(help="Entries per page where the server pages.")] = 1000,
    json: JsonOption = False,
) -> None:
    """List every stopped number."""
    with _client(base_url, api_key, fmt, timezone) as client:
        stops = list(client.iter_stops(page_size=page_size))
    if json:
        print_json([stop_json(stop) for stop in stops])
        return
    table = Table("id", "phone number", "created")
    for stop in stops:
        table.add_row(str(stop.id), stop.phone_number, _time(stop.created_at))
    console.print(table)
    console.print(f"{len(stops)} stopped number(s)", highlight=False)


@remote_app.command("add")
def add_stop(
    number: Annotated[str, typer.Argument(help="The number, in any accepted form.")],
    base_url: BaseUrlOption = DEFAULT_REMOTE_URL,
    api_key: ApiKeyOption = None,
    fmt: FormatOption = "json",
    timezone: TimezoneOption = "Europe/Paris",
    json: JsonOption = False,
) -> None:
    """Stop a number; exit 3 (with its id) when it already was."""
    already: AlreadyStopped | None = None
    with _client(base_url, api_key, fmt, timezone) as client:
        try:
            stop_id = client.add(number)
        except AlreadyStopped as exc:
            already = exc
            stop_id = exc.stop_id  # type: ignore[assignment]
    if json:
        print_json({"stopId": stop_id, "alreadyStopped": already is not None})
    elif already is not None:
        typer.echo(f"already stopped as {stop_id}")
    else:
        typer.echo(f"stopped as {stop_id}")
    if already is not None:
        raise typer.Exit(EXIT_STOPPED)


@remote_app.command("delete")
def delete_stop(
    stop_id: Annotated[int, typer.Argument(help="The entry's id (see list, add, check).")],
    base_url: BaseUrlOption = DEFAULT_REMOTE_URL,
    api_key: ApiKeyOption = None,
    fmt: FormatOption = "json",
    timezone: TimezoneOption = "Europe/Paris",
    json: JsonOption = False,
) -> None:
    """Take an entry off the list."""
    with _client(base_url, api_key, fmt, timezone) as client:
        client.delete(stop_id)
    if json:
        print_json({"deleted": stop_id})
    else:
        typer.echo(f"deleted {stop_id}")


def check_json(result: Check) -> dict[str, Any]:
    out: dict[str, Any] = {"phoneNumber": result.phone_number, "stopped": result.stopped}
    if result.stopped:
        out.update(stopId=result.stop_id, createdAt=_iso(result.created_at))
    return out


@remote_app.command("check")
def check_number(
    number: Annotated[str, typer.Argument(help="The number, in any accepted form.")],
    base_url: BaseUrlOption = DEFAULT_REMOTE_URL,
    api_key: ApiKeyOption = None,
    fmt: FormatOption = "json",
    timezone: TimezoneOption = "Europe/Paris",
    json: JsonOption = False,
) -> None:
    """May I send to this number? Exit 0: not stopped; 3: stopped; 2: error."""
    with _client(base_url, api_key, fmt, timezone) as client:
        result = client.check(number)
    if json:
        print_json(check_json(result))
    elif result.stopped:
        typer.echo(
            f"{result.phone_number} stopped (id {result.stop_id}, {_time(result.created_at)})"
        )
    else:
        typer.echo(f"{result.phone_number} not stopped")
    raise typer.Exit(EXIT_STOPPED if result.stopped else EXIT_OK)


def filter_item_json(item: FilterItem) -> dict[str, Any]:
    if item.status == "invalid":
        return {"input": item.input, "status": item.status, "code": item.code}
    out: dict[str, Any] = {"phoneNumber": item.phone_number, "status": item.status}
    if item.stop_id is not None:
        out["stopId"] = item.stop_id
    return out


@remote_app.command("filter")
def filter_numbers(
    numbers: Annotated[
        list[str] | None, typer.Argument(help="Numbers to check; none: one per line on stdin.")
    ] = None,
    base_url: BaseUrlOption = DEFAULT_REMOTE_URL,
    api_key: ApiKeyOption = None,
    fmt: FormatOption = "json",
    timezone: TimezoneOption = "Europe/Paris",
    allowed_only: Annotated[
        bool, typer.Option("--allowed", help="Print only the numbers you may send to.")
    ] = False,
    json: JsonOption = False,
) -> None:
    """The verdict on each number of a send list (allowed, stopped, invalid)."""
    inputs = numbers or [line.strip() for line in sys.stdin if line.strip()]
    with _client(base_url, api_key, fmt, timezone) as client:
        result = client.filter(inputs)
    if allowed_only:
        for number in result.allowed_numbers:
            typer.echo(number)
        return
    if json:
        print_json(
            {
                "counts": {
                    "allowed": result.allowed,
                    "stopped": result.stopped,
                    "invalid": result.invalid,
                },
                "data": [filter_item_json(item) for item in result.items],
            }
        )
        return
    table = Table("input", "phone number", "status", "stop id")
    for given, item in zip(inputs, result.items, strict=False):
        table.add_row(given, item.phone_number or "", item.status, str(item.stop_id or ""))
    console.print(table)
    console.print(
        f"{result.allowed} allowed, {result.stopped} stopped, {result.invalid} invalid",
        highlight=False,
    )


def event_json(event: HistoryEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "type": event.type,
        "source": event.source,
        "provider": event.provider,
        "providerMessageId": event.provider_message_id,
        "text": event.text,
        "eventAt": _iso(event.event_at),
        "receivedAt": _iso(event.received_at),
        "actor": event.actor,
        "reason": event.reason,
    }


@remote_app.command("history")
def number_history(
    number: Annotated[str, typer.Argument(help="The number, in any accepted form.")],
    base_url: BaseUrlOption = DEFAULT_REMOTE_URL,
    api_key: ApiKeyOption = None,
    fmt: FormatOption = "json",
    timezone: TimezoneOption = "Europe/Paris",
    json: JsonOption = False,
) -> None:
    """Everything that happened to a number, newest first."""
    with _client(base_url, api_key, fmt, timezone) as client:
        history = client.history(number)
    if json:
        print_json(
            {
                "phoneNumber": history.phone_number,
                "stopped": history.stopped,
                "stopId": history.stop_id,
                "events": [event_json(event) for event in history.events],
            }
        )
        return
    state: Literal["stopped", "not stopped"] = "stopped" if history.stopped else "not stopped"
    console.print(f"{history.phone_number}: {state}", highlight=False)
    table = Table("when", "type", "source", "provider", "text", "reason")
    for event in history.events:
        table.add_row(
            _time(event.event_at),
            event.type,
            event.source,
            event.provider or "",
            event.text or "",
            event.reason or "",
        )
    console.print(table)
