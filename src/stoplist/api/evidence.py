"""``/v1/stop-sms/evidence`` and ``/v1/events/export``: the history as evidence (extensions).

Thin adapters over ``domain.audit`` and ``domain.event_export``: one
number's events with their chain proof, and an account's events of a date
range streamed as CSV or NDJSON.
"""

from __future__ import annotations

from collections.abc import Iterator

import msgspec
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from stoplist.api.history import event_answer
from stoplist.api.stop_sms import number_sent
from stoplist.api.suppression import EXPORT_TYPES
from stoplist.client import answers
from stoplist.domain import audit
from stoplist.domain.clock import LocalTimeFormatter
from stoplist.domain.event_export import event_chunks, export_range, hex_or_none
from stoplist.domain.event_export import signature_verified as signed
from stoplist.domain.exports import export_format
from stoplist.http import chain_walks
from stoplist.http.call import authenticated_call, open_call, query_params
from stoplist.records.models import Account, Stop


async def evidence(request: Request) -> Response:
    call = await open_call(request)
    raw = number_sent(call.params, call.account.default_region)
    found = await chain_walks.evidence(request, call.stop_list.db, call.account, raw)
    stop = await run_in_threadpool(call.stop_list.find, found.phone_number)
    erased = await run_in_threadpool(call.stop_list.erased, found.phone_number)
    erased_at = erased.erased_at if erased is not None else None
    return call.respond(evidence_answer(found, stop, call.account, erased_at))


def evidence_answer(
    found: audit.Evidence, stop: Stop | None, account: Account, erased_at: int | None = None
) -> answers.Evidence:
    formatter = LocalTimeFormatter(account.zone)
    return answers.Evidence(
        **answers.ok(),
        phone_number=found.phone_number,
        stopped=stop is not None,
        stop_id=stop.id if stop is not None else answers.UNSET,
        erased_at=formatter(erased_at) if erased_at is not None else answers.UNSET,
        time_zone=account.timezone,
        chain_length=found.length,
        chain_head=found.head.hex(),
        verified=all(item.chain_verified for item in found.items),
        nb_data=len(found.items),
        data=[_event(item, formatter) for item in found.items],
    )


def _event(proved: audit.EvidenceItem, formatter: LocalTimeFormatter) -> answers.EvidenceEvent:
    event, link = proved.item.event, proved.item.link
    return answers.EvidenceEvent(
        **msgspec.structs.asdict(event_answer(event, formatter)),
        signature_verified=signed(proved.item),
        proof=answers.ChainProof(
            position=link.seq,
            prev_hash=hex_or_none(link.prev_hash),
            hash=hex_or_none(link.hash),
            text_digest=hex_or_none(link.text_digest),
            number_digest=hex_or_none(link.number_digest),
            content_verified=proved.content_verified,
            chain_verified=proved.chain_verified,
        ),
    )


async def export_events(request: Request) -> Response:
    """Stream the account's events; a bad ``format``, ``since`` or ``until`` is code 91."""
    call = await authenticated_call(request, query_params(request))
    fmt = export_format(call.param("format"))
    since, until = export_range(call.param("since"), call.param("until"), call.account)
    chunks = event_chunks(call.stop_list.db, call.account, fmt, since=since, until=until)
    first = await run_in_threadpool(next, chunks)
    headers = {"Content-Disposition": f'attachment; filename="events.{fmt}"'}
    return StreamingResponse(_prepend(first, chunks), media_type=EXPORT_TYPES[fmt], headers=headers)


def _prepend(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    try:
        yield first
        yield from rest
    finally:
        close = getattr(rest, "close", None)
        if close is not None:
            close()
