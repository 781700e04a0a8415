"""The settings page: inbound URLs, region and time zone, keywords, webhooks, API keys.

Each form posts to its own small handler and comes back to the page with a
notice; a new API key is the one thing shown in the answer itself, once.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from zoneinfo import available_timezones

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from stoplist import wording
from stoplist.domain.errors import UnknownKeywordAction
from stoplist.domain.inbound import AccountKeywords
from stoplist.domain.inbound_endpoints import (
    PROVIDER_NAMES,
    SIGNATURE_METHODS,
    InboundEndpoints,
    inbound_url,
)
from stoplist.domain.keywords import KeywordSet
from stoplist.domain.retention import Retention
from stoplist.domain.review import Mode
from stoplist.domain.webhook_urls import RefusedUrl
from stoplist.domain.webhooks import Webhooks
from stoplist.http.proxy import public_base, shows_loopback
from stoplist.i18n import N_
from stoplist.records.events import EventKind
from stoplist.web.context import NOT_FOUND, PREFIX, PageContext, Refused, page
from stoplist.web.pages import notice

PATH = PREFIX + "/settings"
KEYWORD_KINDS = (EventKind.OPT_OUT, EventKind.OPT_IN, EventKind.HELP)
RECENT_DELIVERIES = 20


@cache
def _zones() -> list[str]:
    return sorted(available_timezones())


def routes() -> list[BaseRoute]:
    post = ["POST"]
    return [
        Route(PATH, settings_page, methods=["GET"]),
        Route(PATH + "/regional", save_regional, methods=post),
        Route(PATH + "/inbound/{provider}", save_endpoint, methods=post),
        Route(PATH + "/keywords", add_keyword, methods=post),
        Route(PATH + "/keywords/remove", remove_keyword, methods=post),
        Route(PATH + "/keywords/opt-in", switch_opt_in, methods=post),
        Route(PATH + "/reasonable-means", save_reasonable_means, methods=post),
        Route(PATH + "/retention", save_retention, methods=post),
        Route(PATH + "/webhooks", add_endpoint, methods=post),
        Route(PATH + "/webhooks/{endpoint_id:int}/remove", remove_endpoint, methods=post),
        Route(PATH + "/keys", create_key, methods=post),
        Route(PATH + "/keys/{key_id:int}/revoke", revoke_key, methods=post),
    ]


async def _render(ctx: PageContext, *, status: int = 200, **values: object) -> Response:
    account = ctx.signed_in
    keys = await run_in_threadpool(ctx.access.accounts.list_keys, account)
    overrides = await run_in_threadpool(AccountKeywords(ctx.db, account).overrides)
    webhooks = Webhooks(ctx.db, account)
    every_endpoint = await run_in_threadpool(lambda: webhooks.list(include_disabled=True))
    endpoints = [endpoint for endpoint in every_endpoint if endpoint.disabled_at is None]
    deliveries = await run_in_threadpool(lambda: webhooks.deliveries(limit=RECENT_DELIVERIES))
    base = public_base(ctx.request)
    providers = await run_in_threadpool(InboundEndpoints(ctx.db, account).all)
    inbound = [
        (
            endpoint.provider,
            inbound_url(base, account.inbound_token, endpoint.provider),
            endpoint,
            SIGNATURE_METHODS.get(endpoint.provider, ()),
        )
        for endpoint in providers
        if endpoint.provider in PROVIDER_NAMES
    ]
    values.setdefault("message", notice(ctx))
    retention_days = await run_in_threadpool(Retention(ctx.db, account).days)
    return ctx.render(
        "settings.html",
        status=status,
        retention_days=retention_days,
        reasonable_modes=[mode.value for mode in Mode],
        keys=keys,
        inbound=inbound,
        inbound_loopback=shows_loopback(ctx.request),
        zones=_zones(),
        overrides=sorted(overrides.items()),
        built_in=_built_in_keywords(),
        keyword_kinds=KEYWORD_KINDS,
        endpoints=endpoints,
        endpoint_urls={endpoint.id: endpoint.url for endpoint in every_endpoint},
        deliveries=[delivery for delivery, _attempts in deliveries],
        **values,
    )


@cache
def _built_in_keywords() -> list[tuple[EventKind, list[str]]]:
    actions = KeywordSet.built_in().actions
    return [
        (kind, sorted(word for word, action in actions.items() if action is kind))
        for kind in KEYWORD_KINDS
    ]


@page
async def settings_page(ctx: PageContext) -> Response:
    return await _render(ctx)


@page
async def save_regional(ctx: PageContext) -> Response:
    form = await ctx.form()
    try:
        await run_in_threadpool(
            ctx.access.accounts.update_settings,
            ctx.signed_in,
            default_region=str(form.get("default_region", "")).strip(),
            timezone=str(form.get("timezone", "")).strip(),
        )
    except ValueError:
        return await _render(
            ctx, status=422, regional_error=ctx.text("Unknown region or time zone.")
        )
    return ctx.redirect(PATH, done="saved")


@page
async def save_endpoint(ctx: PageContext) -> Response:
    """One provider endpoint: on or off, and whether (and with what) it must be signed.

    A secret typed in replaces the one kept (they are never shown again);
    an empty field keeps it. The generic endpoint's secret is made here and
    shown once.
    """
    provider = ctx.request.path_params["provider"]
    if provider not in PROVIDER_NAMES:
        raise Refused(404, NOT_FOUND, N_("Not found"))
    form = await ctx.form()
    try:
        generated = await run_in_threadpool(
            lambda: _save_endpoint(
                InboundEndpoints(ctx.db, ctx.signed_in),
                provider,
                enabled=form.get("enabled") == "on",
                secret=str(form.get("secret", "")).strip(),
                method=str(form.get("method", "")).strip() or None,
                generate=form.get("generate") == "on",
                unsigned=form.get("unsigned") == "on",
            )
        )
    except ValueError as exc:
        return await _render(
            ctx,
            status=422,
            inbound_error=_refused(ctx, exc),
        )
    if generated:
        return await _render(ctx, new_signing_secret=generated)
    return ctx.redirect(PATH, done="saved")


def _save_endpoint(
    endpoints: InboundEndpoints,
    provider: str,
    *,
    enabled: bool,
    secret: str,
    method: str | None,
    generate: bool,
    unsigned: bool,
) -> str | None:
    """Apply one endpoint form; returns a secret made here (to show once), if any."""
    endpoints.set_enabled(provider, enabled)
    current = endpoints.get(provider)
    if unsigned:
        endpoints.stop_requiring_signatures(provider)
    elif provider == "generic" and generate:
        return endpoints.require_signatures(provider, None, method)[1]
    elif secret or (method and current.signed and method != current.signature_method):
        endpoints.require_signatures(provider, secret or current.secret, method)
    return None


@page
async def create_key(ctx: PageContext) -> Response:
    form = await ctx.form()
    label = str(form.get("label", "")).strip()[:200] or None
    key, secret = await run_in_threadpool(ctx.access.accounts.create_key, ctx.signed_in, label)
    return await _render(ctx, new_key=secret, new_key_id=key.id)


@page
async def revoke_key(ctx: PageContext) -> Response:
    await ctx.form()
    try:
        await run_in_threadpool(
            ctx.access.accounts.revoke_key, ctx.signed_in, ctx.request.path_params["key_id"]
        )
    except LookupError:
        raise Refused(404, NOT_FOUND, N_("Not found")) from None
    return ctx.redirect(PATH, done="key_revoked")


@page
async def add_keyword(ctx: PageContext) -> Response:
    form = await ctx.form()
    keywords = AccountKeywords(ctx.db, ctx.signed_in)
    try:
        kind = EventKind(str(form.get("action", "")))
        if kind not in KEYWORD_KINDS:
            raise UnknownKeywordAction(kind.value)
        keyword = str(form.get("keyword", ""))
        await run_in_threadpool(lambda: keywords.add(keyword, kind, force=_forced(form)))
    except ValueError as exc:
        return await _render(
            ctx,
            status=422,
            keywords_error=_refused(ctx, exc),
        )
    return ctx.redirect(PATH, done="keywords_saved")


@page
async def remove_keyword(ctx: PageContext) -> Response:
    form = await ctx.form()
    keywords = AccountKeywords(ctx.db, ctx.signed_in)
    keyword = str(form.get("keyword", ""))
    try:
        if form.get("mode") == "reset":
            await run_in_threadpool(keywords.reset, keyword)
        else:
            await run_in_threadpool(lambda: keywords.remove(keyword, force=_forced(form)))
    except (ValueError, LookupError) as exc:
        return await _render(
            ctx,
            status=422,
            keywords_error=_refused(ctx, exc),
        )
    return ctx.redirect(PATH, done="keywords_saved")


def _forced(form: Mapping[str, object]) -> bool:
    """The form's "even a required opt-out keyword" box: STOP and the like change only so."""
    return form.get("force") == "on"


@page
async def switch_opt_in(ctx: PageContext) -> Response:
    form = await ctx.form()
    await run_in_threadpool(
        ctx.access.accounts.update_settings,
        ctx.signed_in,
        opt_in_keywords_enabled=form.get("enabled") == "on",
    )
    return ctx.redirect(PATH, done="keywords_saved")


@page
async def save_reasonable_means(ctx: PageContext) -> Response:
    form = await ctx.form()
    try:
        await run_in_threadpool(
            ctx.access.accounts.update_settings,
            ctx.signed_in,
            reasonable_means=str(form.get("mode", "")),
        )
    except ValueError as exc:
        return await _render(ctx, status=422, reasonable_error=_refused(ctx, exc))
    return ctx.redirect(PATH, done="saved")


@page
async def save_retention(ctx: PageContext) -> Response:
    form = await ctx.form()
    retention = Retention(ctx.db, ctx.signed_in)
    try:
        await run_in_threadpool(retention.set_days, form.get("days", ""))
    except ValueError as exc:
        return await _render(ctx, status=422, retention_error=_refused(ctx, exc))
    return ctx.redirect(PATH, done="saved")


@page
async def add_endpoint(ctx: PageContext) -> Response:
    form = await ctx.form()
    try:
        created = await run_in_threadpool(
            Webhooks(
                ctx.db,
                ctx.signed_in,
                allow_private=ctx.request.app.state.settings.webhook_allow_private,
            ).add,
            str(form.get("url", "")),
        )
    except RefusedUrl as exc:
        return await _render(
            ctx, status=422, webhooks_error=wording.refused_url_message(exc.reason, ctx.lang)
        )
    return await _render(ctx, new_endpoint=created.endpoint, new_secret=created.secret)


@page
async def remove_endpoint(ctx: PageContext) -> Response:
    await ctx.form()
    try:
        await run_in_threadpool(
            Webhooks(ctx.db, ctx.signed_in).remove, ctx.request.path_params["endpoint_id"]
        )
    except LookupError:
        raise Refused(404, NOT_FOUND, N_("Not found")) from None
    return ctx.redirect(PATH, done="saved")


def _refused(ctx: PageContext, error: Exception) -> str:
    return ctx.text("This value was refused: %(detail)s", detail=wording.problem(error, ctx.lang))
