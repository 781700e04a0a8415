"""The settings page: inbound URLs, region and time zone, API keys.

Each form posts to its own small handler and comes back to the page with a
notice; a new API key is the one thing shown in the answer itself, once.
"""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from stoplist.web.context import PREFIX, PageContext, Refused, page
from stoplist.web.pages import notice

PATH = PREFIX + "/settings"
INBOUND_PROVIDERS = ("smspartner", "twilio", "vonage", "generic")


@cache
def _zones() -> list[str]:
    return sorted(available_timezones())


def routes() -> list[BaseRoute]:
    post = ["POST"]
    return [
        Route(PATH, settings_page, methods=["GET"]),
        Route(PATH + "/regional", save_regional, methods=post),
        Route(PATH + "/keys", create_key, methods=post),
        Route(PATH + "/keys/{key_id:int}/revoke", revoke_key, methods=post),
    ]


async def _render(ctx: PageContext, *, status: int = 200, **values: object) -> Response:
    account = ctx.signed_in
    keys = await run_in_threadpool(ctx.access.accounts.list_keys, account)
    base = str(ctx.request.base_url).rstrip("/")
    inbound = [
        (provider, f"{base}/inbound/{account.inbound_token}/{provider}")
        for provider in INBOUND_PROVIDERS
    ]
    values.setdefault("message", notice(ctx))
    return ctx.render(
        "settings.html",
        status=status,
        keys=keys,
        inbound=inbound,
        zones=_zones(),
        **values,
    )


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
        return await _render(ctx, status=422, regional_error=ctx.t("invalid_settings"))
    return ctx.redirect(PATH, done="saved")


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
        raise Refused(404, "not_found", "not_found_title") from None
    return ctx.redirect(PATH, done="key_revoked")
