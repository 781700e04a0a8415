"""``stoplist inbound`` and ``stoplist keywords``: how STOPs reach an account."""

from __future__ import annotations

from typing import Annotated, NoReturn, TypedDict

import typer
from rich.table import Table

from stoplist.cli.language import _, problem
from stoplist.cli.options import (
    DatabaseOption,
    HostOption,
    JsonOption,
    PortOption,
    console,
    fail,
    find_account,
    open_configured,
    open_database,
    print_json,
    settings_from,
)
from stoplist.domain.accounts import Accounts
from stoplist.domain.errors import KeywordNotFound, RequiredOptOutKeyword
from stoplist.domain.inbound import AccountKeywords
from stoplist.domain.inbound_endpoints import (
    PROVIDER_NAMES,
    SIGNATURE_METHODS,
    EndpointSettings,
    InboundEndpoints,
    inbound_url,
)
from stoplist.domain.keywords import KeywordSet, parse_action
from stoplist.records.events import EventKind
from stoplist.settings import Settings

inbound_app = typer.Typer(help="Inbound webhook URLs, tokens and settings.", no_args_is_help=True)
keywords_app = typer.Typer(
    help="An account's opt-out, opt-in and help keywords.", no_args_is_help=True
)

AccountArgument = Annotated[str, typer.Argument(help="Account name or id.")]
ProviderArgument = Annotated[str, typer.Argument(help=", ".join(PROVIDER_NAMES) + ".")]


@inbound_app.command("urls")
def urls(
    account: AccountArgument,
    database: DatabaseOption = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            help="The address providers reach stoplist at "
            "[default: STOPLIST_PUBLIC_URL, else this machine's serve address]."
        ),
    ] = None,
    host: HostOption = None,
    port: PortOption = None,
    json: JsonOption = False,
) -> None:
    """Print the URL to give each provider (it contains the account's secret token).

    Without --base-url or STOPLIST_PUBLIC_URL, the address is the one serve
    would listen on with these settings: give --host and --port as serve was
    given them, since a running server's own cannot be known from here.
    """
    settings = settings_from(database_url=database, host=host, port=port)
    found = find_account(open_configured(settings), account)
    base = (base_url or settings.public_url or _local_base(settings)).rstrip("/")
    if not base_url and not settings.public_url:
        typer.echo(
            _(
                "note: STOPLIST_PUBLIC_URL is not set: these URLs use %(base)s, serve's address "
                "by the settings (give --host and --port as serve was given them), which only "
                "this machine reaches; set STOPLIST_PUBLIC_URL or give --base-url",
                base=base,
            ),
            err=True,
        )
    addresses = {name: inbound_url(base, found.inbound_token, name) for name in PROVIDER_NAMES}
    if json:
        print_json(addresses)
        return
    for name, url in addresses.items():
        typer.echo(f"{name:<11} {url}")


def _local_base(settings: Settings) -> str:
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
    return f"http://{f'[{host}]' if ':' in host else host}:{settings.port}"


@inbound_app.command("rotate-token")
def rotate_token(account: AccountArgument, database: DatabaseOption = None) -> None:
    """Give the account a new inbound token; the old URLs stop working at once."""
    db = open_database(database)
    rotated = Accounts(db).rotate_inbound_token(find_account(db, account))
    typer.echo(_("New inbound token set; update the URLs at your providers:"), err=True)
    typer.echo(rotated.inbound_token)


@inbound_app.command("status")
def status(
    account: AccountArgument, database: DatabaseOption = None, json: JsonOption = False
) -> None:
    """Which provider endpoints answer, and which require signed requests."""
    db = open_database(database)
    endpoints = InboundEndpoints(db, find_account(db, account)).all()
    if json:
        print_json([_describe(endpoint) for endpoint in endpoints])
        return
    table = Table(_("provider"), _("endpoint"), _("signatures"))
    for endpoint in endpoints:
        described = _describe(endpoint)
        table.add_row(
            endpoint.provider,
            _("on") if endpoint.enabled else _("off"),
            described["signature"] or _("not required"),
        )
    console.print(table)


class _Described(TypedDict):
    provider: str
    enabled: bool
    signature: str | None


def _describe(endpoint: EndpointSettings) -> _Described:
    return {
        "provider": endpoint.provider,
        "enabled": endpoint.enabled,
        "signature": endpoint.signature_method if endpoint.signed else None,
    }


@inbound_app.command("enable")
def enable(
    account: AccountArgument, provider: ProviderArgument, database: DatabaseOption = None
) -> None:
    """Let a provider's URL receive messages again."""
    _switch(account, provider, True, database)


@inbound_app.command("disable")
def disable(
    account: AccountArgument, provider: ProviderArgument, database: DatabaseOption = None
) -> None:
    """Switch a provider's URL off: it then answers 404, like a wrong token."""
    _switch(account, provider, False, database)


def _switch(account: str, provider: str, enabled: bool, database: str | None) -> None:
    """Switch an endpoint on or off; one that is so already is left alone, and said to be.

    Exit 0 either way (the state asked for holds), but the line tells a
    change from none, so a typo'd account or a forgotten earlier switch shows.
    """
    db = open_database(database)
    endpoints = InboundEndpoints(db, find_account(db, account))
    try:
        already = endpoints.get(provider).enabled == enabled
        if not already:
            endpoints.set_enabled(provider, enabled)
    except ValueError as exc:
        fail(problem(exc))
    if already:
        state = _("already on") if enabled else _("already off (its URL answers 404)")
    else:
        state = _("on") if enabled else _("off (its URL answers 404)")
    typer.echo(f"{provider}: {state}")


@inbound_app.command("signing")
def signing(
    account: AccountArgument,
    provider: Annotated[str, typer.Argument(help=", ".join(SIGNATURE_METHODS) + ".")],
    secret: Annotated[
        str | None,
        typer.Argument(
            help="Twilio: the auth token. Vonage: the signature secret. "
            "Generic: a whsec_ secret (made and printed when left out)."
        ),
    ] = None,
    method: Annotated[
        str | None,
        typer.Option(
            help="Vonage: " + ", ".join(SIGNATURE_METHODS["vonage"]) + " (as set at Vonage)."
        ),
    ] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Accept unsigned requests again.")] = False,
    database: DatabaseOption = None,
) -> None:
    """Require a provider's requests to be signed (a bad or missing signature gets 403)."""
    _signing(account, provider, secret, method, clear, database)


@inbound_app.command("twilio-token")
def twilio_token(
    account: AccountArgument,
    token: Annotated[str | None, typer.Argument(help="The Twilio account's auth token.")] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Stop checking signatures.")] = False,
    database: DatabaseOption = None,
) -> None:
    """Set the Twilio auth token that X-Twilio-Signature is checked with (or --clear it)."""
    if token is None and not clear:
        fail(_("give either a TOKEN or --clear"))
    _signing(account, "twilio", token, None, clear, database)


def _signing(
    account: str,
    provider: str,
    secret: str | None,
    method: str | None,
    clear: bool,
    database: str | None,
) -> None:
    if clear and (secret is not None or method is not None):
        fail(_("--clear takes no secret or method"))
    db = open_database(database)
    endpoints = InboundEndpoints(db, find_account(db, account))
    try:
        if clear:
            endpoints.stop_requiring_signatures(provider)
            typer.echo(_("%(provider)s signatures are now not checked", provider=provider))
            return
        _settings, used = endpoints.require_signatures(provider, secret, method)
    except ValueError as exc:
        fail(problem(exc))
    if secret is None:
        typer.echo(
            _(
                "%(provider)s signatures are now required; sign with (not shown again):",
                provider=provider,
            ),
            err=True,
        )
        typer.echo(used)
    else:
        typer.echo(_("%(provider)s signatures are now required", provider=provider))
    unsigned = [e.provider for e in endpoints.all() if e.enabled and not e.signed]
    if unsigned:
        typer.echo(
            _(
                "Still accepting unsigned requests: %(providers)s (switch them off with 'stoplist "
                "inbound disable %(account)s PROVIDER').",
                providers=", ".join(unsigned),
                account=account,
            ),
            err=True,
        )


@inbound_app.command("opt-in")
def opt_in(
    account: AccountArgument,
    enable: Annotated[
        bool, typer.Option("--enable/--disable", help="Whether START and the like opt back in.")
    ],
    database: DatabaseOption = None,
) -> None:
    """Switch opt-in keywords on or off (off: they are recorded as plain replies)."""
    db = open_database(database)
    Accounts(db).update_settings(find_account(db, account), opt_in_keywords_enabled=enable)
    typer.echo(_("opt-in keywords enabled") if enable else _("opt-in keywords disabled"))


@keywords_app.command("list")
def list_keywords(
    account: AccountArgument,
    database: DatabaseOption = None,
    json: JsonOption = False,
) -> None:
    """The keywords in force for an account, built-in and its own."""
    db = open_database(database)
    overrides = AccountKeywords(db, find_account(db, account)).overrides()
    built_in = KeywordSet.built_in().actions
    rows = []
    for keyword in sorted(set(built_in) | set(overrides)):
        kind = overrides[keyword] if keyword in overrides else built_in[keyword]
        origin = "built-in" if keyword not in overrides else "account"
        rows.append(
            {"keyword": keyword, "action": kind.value if kind else "none", "origin": origin}
        )
    if json:
        print_json(rows)
        return
    table = Table(_("keyword"), _("action"), _("origin"))
    for row in rows:
        origin = _("built-in") if row["origin"] == "built-in" else _("account")
        table.add_row(row["keyword"], row["action"], origin)
    console.print(table)


ForceOption = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Change even an opt-out keyword carriers require (STOP, ARRÊT, END...).",
    ),
]
REFUSED_EXIT = 2
"""A keyword change refused (a required opt-out, or no such keyword): nothing was changed."""


@keywords_app.command("add")
def add_keyword(
    account: AccountArgument,
    keywords: Annotated[list[str], typer.Argument(help="One or more keywords or phrases.")],
    action: Annotated[str, typer.Option(help="opt_out, opt_in or help.")] = "opt_out",
    force: ForceOption = False,
    database: DatabaseOption = None,
) -> None:
    """Add keywords (or give built-in ones another meaning) for this account."""
    db = open_database(database)
    settings = AccountKeywords(db, find_account(db, account))
    try:
        kind = parse_action(action)
        if kind is None:
            fail(_("use 'stoplist keywords remove' to remove a keyword"))
        added = settings.add_all(keywords, EventKind(kind), force=force)
    except RequiredOptOutKeyword as exc:
        _refuse(exc)
    except ValueError as exc:
        fail(problem(exc))
    for keyword in added:
        typer.echo(f"{keyword}: {kind.value}")


@keywords_app.command("remove")
def remove_keyword(
    account: AccountArgument,
    keywords: Annotated[list[str], typer.Argument(help="One or more keywords or phrases.")],
    reset: Annotated[
        bool, typer.Option("--reset", help="Only undo this account's change to them.")
    ] = False,
    force: ForceOption = False,
    database: DatabaseOption = None,
) -> None:
    """Stop treating keywords (built-in included) as keywords for this account."""
    db = open_database(database)
    settings = AccountKeywords(db, find_account(db, account))
    try:
        if reset:
            done = [settings.reset(keyword) for keyword in keywords]
        else:
            done = settings.remove_all(keywords, force=force)
    except (RequiredOptOutKeyword, KeywordNotFound) as exc:
        _refuse(exc)
    except ValueError as exc:
        fail(problem(exc))
    for keyword in done:
        typer.echo(f"{keyword}: {_('reset to built-in') if reset else _('removed')}")


def _refuse(error: Exception) -> NoReturn:
    """Nothing was changed: say why, and how to force a required opt-out's change."""
    if isinstance(error, RequiredOptOutKeyword):
        fail(
            _("%(problem)s (add --force to change it anyway)", problem=problem(error)), REFUSED_EXIT
        )
    fail(problem(error), REFUSED_EXIT)
