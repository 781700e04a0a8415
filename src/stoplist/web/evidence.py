"""The printable evidence page of one number, reached from its page (``search``).

The same content as ``/v1/stop-sms/evidence`` (``domain.audit.evidence``):
every event of the number with its provider, message id, text, times,
signature check, who acted and why, and its chain proof. The page is laid
out to print (the browser's own print, or a PDF from it).
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from stoplist.domain import clock
from stoplist.domain.errors import InvalidPhoneNumber, PhoneNumberRequired
from stoplist.domain.event_export import signature_verified
from stoplist.http import chain_walks
from stoplist.i18n import N_
from stoplist.web.context import NOT_FOUND, PREFIX, PageContext, Refused, page

PATH = PREFIX + "/evidence"


def routes() -> list[BaseRoute]:
    return [Route(PATH, evidence_page, methods=["GET"])]


@page
async def evidence_page(ctx: PageContext) -> Response:
    raw = ctx.request.query_params.get("number", "").strip()
    try:
        found = await chain_walks.evidence(ctx.request, ctx.db, ctx.signed_in, raw)
    except (InvalidPhoneNumber, PhoneNumberRequired):
        raise Refused(404, NOT_FOUND, N_("Not found")) from None
    stop = await run_in_threadpool(ctx.stop_list.find, found.phone_number)
    return ctx.render(
        "evidence.html",
        evidence=found,
        stop=stop,
        verified=all(item.chain_verified for item in found.items),
        signed=signature_verified,
        printed_at=clock.now_us(),
    )
