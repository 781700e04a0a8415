"""The SMS Partner v1 ``stop-sms`` endpoints: list, add, delete.

Handlers only translate: parameters in, one domain call, the contract's body
out. Every rule lives in ``stoplist.domain``.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from stoplist.api.list_renderers import ListRenderer, listing_chunks, ready
from stoplist.client import answers
from stoplist.domain.one_number import one_number
from stoplist.domain.paging import listing_query
from stoplist.http import render
from stoplist.http.call import ApiCall, open_call


async def list_stops(request: Request) -> Response:
    call = await open_call(request)
    query = listing_query(call.params, call.account.zone)
    if query.whole:
        renderer: ListRenderer = request.app.state.list_renderer
        rendered = await run_in_threadpool(renderer.render, call.stop_list, call.format)
        headers = {} if rendered.size is None else {"Content-Length": str(rendered.size)}
        return StreamingResponse(
            rendered.chunks, media_type=render.media_type(call.format), headers=headers
        )
    return await stream_listing(call, paged=query.paged, **query.as_kwargs())


async def add_stop(request: Request) -> Response:
    call = await open_call(request)
    number = number_sent(call.params, call.account.default_region)
    stop = await run_in_threadpool(call.stop_list.add, number)
    return call.respond(answers.Added(**answers.ok(), stop_id=stop.id))


async def delete_stop(request: Request) -> Response:
    call = await open_call(request)
    await run_in_threadpool(call.stop_list.delete, call.param("id", "stopId"))
    return call.respond(answers.Done(**answers.ok()))


NUMBER_NAMES = ("phoneNumber", "phoneNumbers")
"""The number's parameter and its alias, which clients send either of."""


def values_sent(params: dict[str, Any]) -> list[Any]:
    """What came under ``phoneNumber``, then under ``phoneNumbers`` (those not empty)."""
    return [params[name] for name in NUMBER_NAMES if params.get(name) not in (None, "")]


def number_sent(params: dict[str, Any], region: str) -> object:
    """The one number a call is about, from ``phoneNumber`` or its alias ``phoneNumbers``.

    Both may come (a form and a query string, a client that sets both), and
    either may be a list: spellings of one number in ``region`` (the
    account's) are that number; different numbers are refused, as several
    numbers are, rather than one of them answered (``domain.one_number``).
    """
    return one_number(values_sent(params), region)


async def stream_listing(call: ApiCall, *, paged: bool = False, **query: int | None) -> Response:
    """Stream a listing in the call's format; memory stays flat whatever its length.

    The first chunk (which carries ``nbData``) is produced before the response
    starts, so that a failure to open the list is still a proper error answer.
    A ``paged`` answer ends with ``nextAfter``.
    """
    chunks = listing_chunks(call.stop_list, call.format, paged=paged, **query)
    rendered = await run_in_threadpool(ready, chunks)
    return StreamingResponse(rendered.chunks, media_type=render.media_type(call.format))
