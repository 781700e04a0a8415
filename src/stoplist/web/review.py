"""The "Possible opt-outs" page: the review queue, confirmed or dismissed by hand.

Each decision needs a reason, like removing a number does, and is recorded
with the signed-in person as its actor (see ``domain.review``).
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from stoplist.domain import clock
from stoplist.domain.confirmations import Confirmations
from stoplist.domain.errors import ReviewAlreadyDecided, ReviewItemNotFound, StoplistError
from stoplist.domain.parameters import MAX_ID, present, whole_number
from stoplist.domain.review import Backlog, ReviewItem, ReviewQueue
from stoplist.i18n import N_
from stoplist.records.events import Source
from stoplist.web.context import NOT_FOUND, PREFIX, PageContext, Refused, page

PATH = PREFIX + "/review"
RECENT = 20
_PAGE = 200


def routes() -> list[BaseRoute]:
    return [
        Route(PATH, review_page, methods=["GET"]),
        Route(PATH + "/{item_id:int}/confirm", confirm, methods=["POST"]),
        Route(PATH + "/{item_id:int}/dismiss", dismiss, methods=["POST"]),
    ]


async def _render(ctx: PageContext, *, status: int = 200, **values: object) -> Response:
    queue = ReviewQueue(ctx.db, ctx.signed_in)

    def load() -> tuple[list[ReviewItem], list[ReviewItem], Backlog]:
        return queue.items(limit=_PAGE), queue.recent_decisions(RECENT), queue.backlog()

    pending, recent, backlog = await run_in_threadpool(load)
    query = ctx.request.query_params
    if "message" not in values:
        done = query.get("done")
        if done == "confirmed" and await _is_stopped(ctx, query.get("number", "")):
            # The address is anyone's to write: said only of a number that is stopped.
            values["message"] = ctx.text("%(number)s is stopped.", number=query.get("number", ""))
            values["confirmation"] = await _confirmation(ctx, query.get("event"))
        elif done == "dismissed":
            values["message"] = ctx.text("The message stays a reply.")
    return ctx.render(
        "review.html",
        status=status,
        pending=pending,
        recent=recent,
        backlog=backlog,
        now=clock.now_us(),
        **values,
    )


async def _is_stopped(ctx: PageContext, number: str) -> bool:
    try:
        return await run_in_threadpool(lambda: ctx.stop_list.find(number) is not None)
    except StoplistError:  # not a number at all
        return False


async def _confirmation(ctx: PageContext, event: object) -> str | None:
    """What became of the opt-out confirmation of a decision: read from the account's own
    records (never from the address), so that the text shown is the text given."""
    event_id = whole_number(event) if present(event) else None
    if event_id is None or not 0 < event_id <= MAX_ID:
        return None
    confirmations = Confirmations(ctx.db, ctx.signed_in)
    reply = await run_in_threadpool(confirmations.given_for, event_id)
    if reply is None:
        return None
    if reply.queued:
        return ctx.text("The opt-out confirmation is being sent through SMS Partner.")
    return ctx.text("Send this opt-out confirmation: %(text)s", text=reply.text)


@page
async def review_page(ctx: PageContext) -> Response:
    return await _render(ctx)


@page
async def confirm(ctx: PageContext) -> Response:
    return await _decide(ctx, confirmed=True)


@page
async def dismiss(ctx: PageContext) -> Response:
    return await _decide(ctx, confirmed=False)


async def _decide(ctx: PageContext, *, confirmed: bool) -> Response:
    form = await ctx.form()
    item_id = ctx.request.path_params["item_id"]
    reason = str(form.get("reason", "")).strip()
    if not reason:
        return await _render(ctx, status=422, error=ctx.text("Please give a reason."))
    queue = ReviewQueue(ctx.db, ctx.signed_in)
    decide = queue.confirm if confirmed else queue.dismiss
    try:
        item = await run_in_threadpool(
            lambda: decide(item_id, source=Source.DASHBOARD, actor=ctx.grant.actor, reason=reason)
        )
    except ReviewItemNotFound:
        raise Refused(404, NOT_FOUND, N_("Not found")) from None
    except ReviewAlreadyDecided:
        return await _render(ctx, status=409, error=ctx.text("This message was decided already."))
    if confirmed:
        return ctx.redirect(
            PATH, done="confirmed", number=item.phone_number, event=str(item.decision_event_id)
        )
    return ctx.redirect(PATH, done="dismissed")
