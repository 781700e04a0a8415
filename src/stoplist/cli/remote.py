"""``stoplist remote``: a stop list over HTTP, from a shell.

Talks to any server speaking the API (a stoplist server, SMS Partner) through
``stoplist.client``. Tables on a terminal, ``--json`` for scripts. Exit codes:
0 done (for ``check``: not stopped, you may send), 3 stopped (``check``) or
already stopped (``add``), 2 anything that went wrong (usage, API error,
network), so ``stoplist remote check "$n" && send "$n"`` only ever sends to
a number the server says is not stopped.

The module is longer than most: one command per API call, each with its
table, its ``--json`` form and its exit code, kept side by side so that
they stay alike.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx
import msgspec
import typer
from rich.table import Table

from stoplist.cli import language
from stoplist.cli.language import _, _in
from stoplist.cli.options import JsonOption, console, fail, print_json
from stoplist.client import (
    BASE_URL_ENV,
    AlreadyStopped,
    ApiError,
    Client,
    ServerError,
    StoplistError,
    answers,
)
from stoplist.client.models import Check, FilterItem, HistoryEvent, Stop

DEFAULT_REMOTE_URL = "http://127.0.0.1:8080/v1"
API_PATH = "/v1"
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
        metavar="URL",
        envvar=BASE_URL_ENV,
        show_envvar=True,
        help="The API's base URL; /v1 is added to a bare host "
        "(SMS Partner: https://api.smspartner.fr/v1).",
    ),
]
ApiKeyOption = Annotated[
    str | None,
    typer.Option(
        "--api-key",
        metavar="KEY",
        envvar="STOPLIST_API_KEY",
        show_envvar=True,
        help="The API key.",
    ),
]
FormatOption = Annotated[
    str,
    typer.Option(
        "--format", metavar="json|xml", help="Wire format to ask the server for: json or xml."
    ),
]
TimezoneOption = Annotated[
    str,
    typer.Option(
        "--timezone",
        metavar="ZONE",
        help="The account's time zone: the API's times are read, and shown, in it.",
    ),
]


def api_base_url(url: str) -> str:
    """``url`` with ``/v1`` added when it names only a host (``http://host:8080``).

    Any other path is kept as given: a proxy may serve the API under a prefix.
    """
    parts = urlsplit(url.strip())
    if parts.scheme and parts.netloc and parts.path.strip("/") == "":
        return urlunsplit(parts._replace(path=API_PATH))
    return url


def checked_base_url(raw: str, exit_code: int) -> str:
    """``api_base_url(raw)``, or a one-line error when it is not an HTTP URL at all."""
    url = api_base_url(raw)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        fail(_("not an http:// or https:// URL: %(raw)s", raw=raw), exit_code)
    return url


def error_message(exc: StoplistError, base_url: str) -> str:
    """What went wrong, in the current language only.

    The server words API errors in the language it was asked for; network
    and server failures are worded here, since their details (the operating
    system's, the HTTP library's) come in English.
    """
    if isinstance(exc, ApiError):
        return f"[{exc.code}] {_with_detail(exc)}"
    if isinstance(exc, ServerError):
        status = f"HTTP {exc.status_code}" if exc.status_code else "?"
        return _(
            "%(base_url)s failed or gave an answer that is not the API's (%(status)s)",
            base_url=base_url,
            status=status,
        )
    cause = exc.__cause__
    if isinstance(cause, httpx.TimeoutException):
        return _("%(base_url)s did not answer in time", base_url=base_url)
    if isinstance(cause, httpx.ConnectError):
        return _("cannot connect to %(base_url)s", base_url=base_url)
    return _("the connection to %(base_url)s failed before an answer came back", base_url=base_url)


def _with_detail(exc: ApiError) -> str:
    """The message and what the answer said beside it: ``... invalid: too short (too_short)``.

    The message alone is the contract's, the same whatever was wrong. The
    detail is in the answer's language, as the message is; the reason is a
    stable name, for scripts and searches. A detail the message already
    holds (a refused webhook URL's) is not said twice.
    """
    said = exc.message
    if exc.detail and exc.detail not in exc.message:
        said = _in("api error", "%(message)s: %(detail)s", message=said, detail=exc.detail)
    return f"{said} ({exc.reason})" if exc.reason else said


@contextmanager
def _client(base_url: str, api_key: str | None, fmt: str, timezone: str) -> Iterator[Client]:
    """A client whose failures become a message and exit code 2."""
    if fmt not in ("json", "xml"):
        fail(_("--format must be json or xml"), EXIT_ERROR)
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        fail(_("unknown time zone: %(timezone)s", timezone=timezone), EXIT_ERROR)
    url = checked_base_url(base_url, EXIT_ERROR)
    headers = {"Accept-Language": language.current()}
    try:
        with Client(url, api_key, format=fmt, timezone=timezone, headers=headers) as client:  # type: ignore[arg-type]
            yield client
    except StoplistError as exc:
        fail(error_message(exc, url), EXIT_ERROR)


def _time(moment: datetime | None) -> str | None:
    """A time as the API gives it, with its zone named (``2026-11-27 13:35:34 CET``)."""
    return moment.strftime("%Y-%m-%d %H:%M:%S %Z") if moment else None


def stop_json(stop: Stop) -> dict[str, Any]:
    """An entry as the list answer writes it, its time in ISO 8601 with its offset."""
    entry = answers.Stop(
        id=stop.id, phone_number=stop.phone_number, created_at=stop.created_at.isoformat()
    )
    return msgspec.to_builtins(entry)  # type: ignore[no-any-return]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


@remote_app.command("list")
def list_stops(
    base_url: BaseUrlOption = DEFAULT_REMOTE_URL,
    api_key: ApiKeyOption = None,
    fmt: FormatOption = "json",
    timezone: TimezoneOption = "Europe/Paris",
    page_size: Annotated[
        int, typer.Option(min=1, help="Entries per page where the server pages.")
    ] = 1000,
    json: JsonOption = False,
) -> None:
    """List every stopped number."""
    with _client(base_url, api_key, fmt, timezone) as client:
        stops = list(client.iter_stops(page_size=page_size))
    if json:
        print_json([stop_json(stop) for stop in stops])
        return
    table = Table("id", _("phone number"), _in("stop", "created"))
    for stop in stops:
        table.add_row(str(stop.id), stop.phone_number, _time(stop.created_at))
    console.print(table)
    console.print(
        _("%(count)s stopped number(s)", count=len(stops)),
        highlight=False,
    )


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
        typer.echo(_("already stopped as %(stop_id)s", stop_id=stop_id))
    else:
        typer.echo(_("stopped as %(stop_id)s", stop_id=stop_id))
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
        typer.echo(_("deleted %(stop_id)s", stop_id=stop_id))


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
        when = _time(result.created_at)
        typer.echo(
            _(
                "%(phone_number)s stopped (id %(stop_id)s, %(when)s)",
                phone_number=result.phone_number,
                stop_id=result.stop_id,
                when=when,
            )
        )
    else:
        typer.echo(_("%(phone_number)s not stopped", phone_number=result.phone_number))
    raise typer.Exit(EXIT_STOPPED if result.stopped else EXIT_OK)


def filter_item_json(item: FilterItem) -> dict[str, Any]:
    """A verdict as the filter answer writes it."""
    if item.status == "invalid":
        verdict = answers.FilterItem(
            input=item.input,
            status=item.status,
            code=answers.UNSET if item.code is None else item.code,
            reason=answers.UNSET if item.reason is None else item.reason,
            detail=answers.UNSET if item.detail is None else item.detail,
        )
    else:
        verdict = answers.FilterItem(
            phone_number=answers.UNSET if item.phone_number is None else item.phone_number,
            status=item.status,
            stop_id=answers.UNSET if item.stop_id is None else item.stop_id,
        )
    return msgspec.to_builtins(verdict)  # type: ignore[no-any-return]


def _filter_inputs(numbers: list[str] | None, path: str | None) -> list[str]:
    """What ``filter`` sends: NUMBERS as typed, else the lines of ``--file``, else of stdin.

    A file is read only when ``--file`` names it: an argument that is also a
    file's name (a file called ``0612345678``) stays a number, so what is
    checked never depends on the files in the current directory.
    """
    if numbers and path is not None:
        fail(_("give either NUMBERS or --file"), EXIT_ERROR)
    if numbers:
        return numbers
    if path is None or path == "-":
        return _text_lines(sys.stdin.buffer.read())
    return _text_lines(_read_file(path))


def _read_file(path: str) -> bytes:
    """The file's bytes, or one ``error:`` line and exit 2, as for any other failed call."""
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        fail(_("no such file: %(file)s", file=path), EXIT_ERROR)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        fail(_("cannot read %(file)s: %(reason)s", file=path, reason=reason), EXIT_ERROR)


def _text_lines(data: bytes) -> list[str]:
    """One input per line, as the server reads a text filter body.

    A blank line stays, as an empty input the server answers invalid: the
    verdict ``i`` is then on line ``i`` of the file, which a dropped line
    would shift. The last line end starts no line, a byte order mark is
    dropped and bytes that are not UTF-8 are replaced, as on the server.
    """
    text = data.decode("utf-8", errors="replace").removeprefix("\ufeff")
    return [line.strip() for line in text.splitlines()]


@remote_app.command("filter")
def filter_numbers(
    numbers: Annotated[
        list[str] | None,
        typer.Argument(
            help="Numbers to check (a file's name too is taken for a number: "
            "use --file); none: one per line on stdin."
        ),
    ] = None,
    from_file: Annotated[
        str | None,
        typer.Option(
            "--file",
            metavar="PATH",
            help="Read the numbers from PATH, one per line ('-': stdin); "
            "a blank line is an invalid item.",
        ),
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
    """The verdict on each number of a send list (allowed, stopped, invalid).

    The numbers are NUMBERS, or the lines of --file PATH, or of stdin when
    neither is given. Lines are read as the API reads a text body: a blank
    line is an invalid item, so verdict i is the one on line i.
    """
    inputs = _filter_inputs(numbers, from_file)
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
    table = Table(_("input"), _("phone number"), _in("stop", "status"), "id")
    for given, item in zip(inputs, result.items, strict=False):
        table.add_row(given, item.phone_number or "", item.status, str(item.stop_id or ""))
    console.print(table)
    console.print(
        _(
            "%(allowed)s allowed, %(stopped)s stopped, %(invalid)s invalid",
            allowed=result.allowed,
            stopped=result.stopped,
            invalid=result.invalid,
        ),
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
    state = _("stopped") if history.stopped else _("not stopped")
    console.print(f"{history.phone_number}: {state}", highlight=False)
    table = Table(
        _("when"),
        "type",
        "source",
        _("provider"),
        _("text"),
        _("reason"),
    )
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
