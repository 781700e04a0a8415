"""``/v1/stop-sms/erase``: erase a number at its owner's request (an extension).

A thin adapter over ``domain.erasure``: the number, who asked (``actor``,
``api`` when not said) and why (``reason``) in; what remains out.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from stoplist.api.list_renderers import ListRenderer
from stoplist.api.stop_sms import number_sent
from stoplist.client import answers
from stoplist.domain import erasure
from stoplist.domain.clock import LocalTimeFormatter
from stoplist.http.call import open_call
from stoplist.records.events import Source

_DEFAULT_ACTOR = "api"


async def erase(request: Request) -> Response:
    call = await open_call(request)
    number = number_sent(call.params, call.account.default_region)
    actor = call.text_param("actor") or _DEFAULT_ACTOR
    reason = call.text_param("reason")
    done = await run_in_threadpool(
        lambda: erasure.erase(call.stop_list, number, source=Source.API, actor=actor, reason=reason)
    )
    # Kept copies of the whole list name the number: drop them now, not at the
    # next listing (which may be far off).
    renderer: ListRenderer = request.app.state.list_renderer
    await run_in_threadpool(renderer.forget, call.stop_list)
    return call.respond(
        answers.Erased(
            **answers.ok(),
            phone_number=done.phone_number,
            stop_id=done.stop_id,
            erased_at=LocalTimeFormatter(call.account.zone)(done.erased_at),
            event_id=done.event_id,
            already=done.already,
        )
    )
