"""Sign-in, home, search, the list, adding, removing and exporting.

Each handler reads the request, makes one or two domain calls and renders a
template; every rule (normalising numbers, who may see what, how events
change the list) stays in ``stoplist.domain``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response, StreamingResponse

from stoplist import wording
from stoplist.domain import clock
from stoplist.domain.dashboard import Dashboard, NotANumberSearch, Origin, Page
from stoplist.domain.dashboard_access import SignInFailed, SignInThrottled
from stoplist.domain.errors import (
    AlreadyStopped,
    InvalidPhoneNumber,
    PhoneNumberRequired,
    StopErased,
    StoplistError,
    StopNotFound,
)
from stoplist.domain.exports import export_chunks
from stoplist.domain.review import ReviewQueue
from stoplist.i18n import N_
from stoplist.records.events import Source
from stoplist.records.models import Stop
from stoplist.web import pager, params
from stoplist.web.chart import activity_svg
from stoplist.web.context import NOT_FOUND, PREFIX, PageContext, Refused, page, safe_next

_MAX_SEARCH_LENGTH = 64
_THROTTLED = N_(
    "Too many wrong passwords from your connection. Wait 15 minutes, or sign in with an API key."
)
_NOTICES = {
    "added": N_("%(number)s is now on the stop list."),
    "already": N_("%(number)s was already on the stop list."),
    "removed": N_("%(number)s has been removed from the stop list."),
    "saved": N_("Settings saved."),
    "key_revoked": N_("The key has been revoked."),
    "keywords_saved": N_("Keywords saved."),
}


_ON_THE_LIST = {"added": True, "already": True, "removed": False}
"""What a notice about a number says of it: on the list (True) or off it (False)."""


def notice(ctx: PageContext, *, stopped: bool | None = None, **values: str) -> str | None:
    """The message a redirect asked to show (``?done=added``), if it is one we know.

    The address is anyone's to write: a notice about a number is shown only
    when ``stopped`` (the number's state now) agrees with it, so that a
    crafted link cannot show "now on the stop list" beside a number that is not.
    """
    done = ctx.request.query_params.get("done", "")
    message = _NOTICES.get(done)
    if message is None or _ON_THE_LIST.get(done, stopped) != stopped:
        return None
    return ctx.text(message, **values)


@page(public=True)
async def sign_in_page(ctx: PageContext) -> Response:
    if ctx.account is not None:
        return ctx.redirect(PREFIX + "/")
    params = ctx.request.query_params
    message = ctx.text("You are signed out.") if "bye" in params else None
    return ctx.render("login.html", next=safe_next(params.get("next")), message=message)


@page(public=True)
async def sign_in(ctx: PageContext) -> Response:
    form = await ctx.form()
    method = form.get("method")
    try:
        if method == "password":
            grant = await run_in_threadpool(
                ctx.access.sign_in_with_password,
                str(form.get("account", "")),
                str(form.get("password", "")),
                ctx.request.client.host if ctx.request.client else None,
            )
        else:
            grant = await run_in_threadpool(
                ctx.access.sign_in_with_key, str(form.get("api_key", ""))
            )
    except SignInFailed as failed:
        throttled = isinstance(failed, SignInThrottled)
        return ctx.render(
            "login.html",
            status=429 if throttled else 401,
            next=safe_next(form.get("next")),
            error=ctx.text(_THROTTLED if throttled else "Sign-in failed: check what you typed."),
            method=method,
            account_name=str(form.get("account", "")),
        )
    if ctx.session.token is not None:
        await run_in_threadpool(ctx.access.close_session, ctx.session.token)
    token = await run_in_threadpool(ctx.access.open_session, grant)
    ctx.session.sign_in(grant, token)
    return ctx.redirect(safe_next(form.get("next")))


@page
async def sign_out(ctx: PageContext) -> Response:
    await ctx.form()
    if ctx.session.token is not None:
        await run_in_threadpool(ctx.access.close_session, ctx.session.token)
    ctx.session.sign_out()
    return ctx.redirect(PREFIX + "/login", bye="1")


@page
async def home(ctx: PageContext) -> Response:
    dashboard = Dashboard(ctx.db, ctx.signed_in)
    stopped = await run_in_threadpool(ctx.stop_list.count)
    days = await run_in_threadpool(dashboard.activity)
    latest = await run_in_threadpool(dashboard.latest_events, 10)
    backlog = await run_in_threadpool(ReviewQueue(ctx.db, ctx.signed_in).backlog)
    return ctx.render(
        "home.html",
        stopped=stopped,
        backlog=backlog,
        days=days,
        active_days=[d for d in reversed(days) if d.total_opt_outs or d.total_opt_ins],
        opt_outs=sum(d.total_opt_outs for d in days),
        opt_ins=sum(d.total_opt_ins for d in days),
        chart=activity_svg(days, ctx.words, ctx.fmt.short_day, ctx.fmt.count),
        events=latest,
    )


@page
async def search(ctx: PageContext) -> Response:
    raw = ctx.request.query_params.get("number", "").strip()
    return await _render_search(ctx, raw)


async def _render_search(
    ctx: PageContext, raw: str, *, error: str | None = None, status: int = 200, reason: str = ""
) -> Response:
    values: dict[str, object] = {"raw": raw, "error": error, "reason": reason}
    if raw and error is None:
        try:
            number, history = await run_in_threadpool(ctx.stop_list.history, raw)
            stop = await run_in_threadpool(ctx.stop_list.find, number)
            # An erased number's entry cannot be removed: the page says why instead.
            erased = await run_in_threadpool(ctx.stop_list.erased, number)
        except (InvalidPhoneNumber, PhoneNumberRequired) as invalid:
            values["error"] = _invalid_number(ctx, invalid)
            status = 422
        else:
            values.update(number=number, history=history, stop=stop, erased=erased)
            on_the_list = stop is not None or erased is not None
            values["message"] = notice(ctx, stopped=on_the_list, number=number)
    return ctx.render("search.html", status=status, **values)


@page
async def add(ctx: PageContext) -> Response:
    form = await ctx.form()
    raw = str(form.get("number", "")).strip()
    reason = str(form.get("reason", "")).strip()
    if not reason:
        return await _render_search(
            ctx, raw, error=ctx.text("Please give a reason."), status=422, reason=reason
        )
    try:
        stop = await run_in_threadpool(
            lambda: ctx.stop_list.add(
                raw, source=Source.DASHBOARD, actor=ctx.grant.actor, reason=reason
            )
        )
    except (InvalidPhoneNumber, PhoneNumberRequired) as invalid:
        return await _render_search(
            ctx, raw, error=_invalid_number(ctx, invalid), status=422, reason=reason
        )
    except AlreadyStopped:
        number = await run_in_threadpool(ctx.stop_list.normalize, raw)
        return ctx.redirect(PREFIX + "/search", number=number, done="already")
    return ctx.redirect(PREFIX + "/search", number=stop.phone_number, done="added")


def _invalid_number(ctx: PageContext, error: InvalidPhoneNumber | PhoneNumberRequired) -> str:
    """The invalid-number notice, with why when the numbering plan tells."""
    reason = getattr(error, "reason", None)
    said = ctx.text("This is not a valid phone number.")
    if reason is None:
        return said
    return f"{said.rstrip('.')} ({wording.invalid_number(reason, ctx.lang)})."


@page
async def remove_page(ctx: PageContext) -> Response:
    stop = await _stop(ctx)
    return ctx.render("remove.html", stop=stop, error=None)


@page
async def remove(ctx: PageContext) -> Response:
    form = await ctx.form()
    stop = await _stop(ctx)
    reason = str(form.get("reason", "")).strip()
    if not reason:
        return ctx.render(
            "remove.html", status=422, stop=stop, error=ctx.text("Please give a reason.")
        )
    try:
        await run_in_threadpool(
            lambda: ctx.stop_list.delete(
                stop.id, source=Source.DASHBOARD, actor=ctx.grant.actor, reason=reason
            )
        )
    except StopNotFound:
        raise Refused(404, NOT_FOUND, N_("Not found")) from None
    except StopErased:  # erased since the page was shown: its page says so
        return ctx.redirect(PREFIX + "/search", number=stop.phone_number)
    return ctx.redirect(PREFIX + "/search", number=stop.phone_number, done="removed")


async def _stop(ctx: PageContext) -> Stop:
    try:
        return await run_in_threadpool(ctx.stop_list.get, ctx.request.path_params["stop_id"])
    except StopNotFound:
        raise Refused(404, NOT_FOUND, N_("Not found")) from None


@page
async def numbers(ctx: PageContext) -> Response:
    query = ctx.request.query_params
    error = None
    try:
        since = params.day("since", query.get("since"))
        until = params.day("until", query.get("until"))
        number = params.page_number(query.get("page"))
    except params.BadParameter as bad:
        since = until = None
        number = 1
        if bad.name in ("since", "until"):
            error = ctx.text("Dates must look like 2024-03-31.")
        else:
            error = ctx.text("The page number must be a whole number, 1 or more.")
    search = query.get("q", "").strip()[:_MAX_SEARCH_LENGTH]
    origin_value = query.get("origin", "")
    origin = Origin(origin_value) if origin_value in {o.value for o in Origin} else None
    newest_first = query.get("sort") != "oldest"
    dashboard = Dashboard(ctx.db, ctx.signed_in)

    def fetch(search: str) -> Page:
        return dashboard.page(
            number=number,
            since=since,
            until=until,
            origin=origin,
            search=search,
            newest_first=newest_first,
        )

    try:
        listing = await run_in_threadpool(fetch, search)
    except NotANumberSearch:
        error = ctx.text("Type a phone number, or some of its digits.")
        listing = await run_in_threadpool(fetch, "")
    erased = await _erased_search(ctx, search) if search and not listing.total else None
    filters = {
        "q": search,
        "since": since.isoformat() if since else "",
        "until": until.isoformat() if until else "",
        "origin": origin.value if origin else "",
        "sort": "newest" if newest_first else "oldest",
    }
    return ctx.render(
        "list.html",
        status=400 if error else 200,
        listing=listing,
        filters=filters,
        link=_list_link(filters),
        page_links=pager.page_links(listing.number, listing.pages),
        error=error,
        message=notice(ctx),
        erased=erased,
    )


async def _erased_search(ctx: PageContext, search: str) -> str | None:
    """The whole number searched for, when it is off the list because it was erased.

    It is stopped all the same: a search that finds nothing must not read as
    "not stopped" to whoever asked.
    """
    try:
        number = await run_in_threadpool(ctx.stop_list.normalize, search)
    except StoplistError:
        return None
    erased = await run_in_threadpool(ctx.stop_list.erased, number)
    return number if erased is not None else None


def _list_link(filters: dict[str, str]) -> Callable[..., str]:
    """Makes links to the list that keep the current filters (``link(page=3)``)."""

    def link(**changes: object) -> str:
        values = {**filters, **{k: str(v) for k, v in changes.items()}}
        return PREFIX + "/numbers?" + urlencode({k: v for k, v in values.items() if v})

    return link


@page
async def export(ctx: PageContext) -> Response:
    """The whole list as CSV, in the same format as the API's and the CLI's export."""
    safe_name = re.sub(r"[^A-Za-z0-9_.-]+", "-", ctx.signed_in.name).strip("-") or "account"
    today = clock.from_us(clock.now_us(), ctx.signed_in.zone).date().isoformat()
    return StreamingResponse(
        export_chunks(ctx.stop_list, "csv"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="stoplist-{safe_name}-{today}.csv"'},
    )
