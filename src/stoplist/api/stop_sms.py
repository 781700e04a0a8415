"""The SMS Partner v1 ``stop-sms`` endpoints: list, add, delete.

Handlers only translate: parameters in, one domain call, the contract's body
out. Every rule lives in ``stoplist.domain``.
"""

from __future__ import annotations

from collections.abc import Iterator

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from stoplist.api.list_cache import ListCache, RenderingKey, read_file
from stoplist.client import answers
from stoplist.domain.clock import LocalTimeFormatter
from stoplist.domain.errors import InvalidPhoneNumber
from stoplist.domain.paging import listing_query
from stoplist.http import render
from stoplist.http.call import ApiCall, open_call


async def list_stops(request: Request) -> Response:
    call = await open_call(request)
    query = listing_query(call.params, call.account.zone)
    cache: ListCache = request.app.state.list_cache
    if query.whole and cache.enabled:
        return await _whole_list(call, cache)
    return await stream_listing(call, paged=query.paged, **query.as_kwargs())


async def _whole_list(call: ApiCall, cache: ListCache) -> Response:
    """The kept answer for the list's version, patched from an older one, or rendered."""
    version = call.stop_list.version()
    if version is not None:
        key = _rendering_key(call, version)
        kept = cache.open(key)
        if kept is None:
            formatter = LocalTimeFormatter(call.account.zone)
            kept = await run_in_threadpool(cache.refresh, call.stop_list, key, formatter)
        if kept is not None:
            file, size = kept
            return StreamingResponse(
                read_file(file),
                media_type=render.media_type(call.format),
                headers={"Content-Length": str(size)},
            )
    return await stream_listing(call, keep_in=cache)


async def add_stop(request: Request) -> Response:
    call = await open_call(request)
    number = single_number(call.param("phoneNumber", "phoneNumbers"))
    stop = await run_in_threadpool(call.stop_list.add, number)
    return call.respond(answers.Added(**answers.ok(), stop_id=stop.id))


async def delete_stop(request: Request) -> Response:
    call = await open_call(request)
    await run_in_threadpool(call.stop_list.delete, call.param("id", "stopId"))
    return call.respond(answers.Done(**answers.ok()))


def single_number(value: object) -> object:
    """``phoneNumbers`` may arrive as a one-element list; more than one is refused."""
    if isinstance(value, list):
        if not value:
            return None
        if len(value) > 1:
            raise InvalidPhoneNumber("only one number per add")
        return value[0]
    return value


async def stream_listing(
    call: ApiCall, *, paged: bool = False, keep_in: ListCache | None = None, **query: int | None
) -> Response:
    """Stream a listing in the call's format; memory stays flat whatever its length.

    The first chunk (which carries ``nbData``) is produced before the response
    starts, so that a failure to open the list is still a proper error answer.
    A ``paged`` answer ends with ``nextAfter``. ``keep_in`` keeps a copy of a
    whole list's answer for the next identical request.
    """
    chunks = _listing_chunks(call, query, paged, keep_in)
    first = await run_in_threadpool(next, chunks)
    return StreamingResponse(_prepend(first, chunks), media_type=render.media_type(call.format))


def _prepend(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest


def _listing_chunks(
    call: ApiCall,
    query: dict[str, int | None],
    paged: bool = False,
    keep_in: ListCache | None = None,
) -> Iterator[bytes]:
    formatter = LocalTimeFormatter(call.account.zone)
    with call.stop_list.listing(with_value=keep_in is not None, **query) as listing:
        kept = None
        if keep_in is not None and listing.version is not None:
            kept = keep_in.keep(listing, _rendering_key(call, listing.version), formatter)
        yield from kept or render.encode_listing(
            call.format, listing.total, listing.batches, formatter, paged=paged, more=listing.more
        )


def _rendering_key(call: ApiCall, version: int) -> RenderingKey:
    return RenderingKey(call.account.id, call.format, call.account.timezone, version)
