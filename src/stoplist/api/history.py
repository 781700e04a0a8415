"""``/v1/stop-sms/history``: a number's events, newest first (an extension)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from stoplist.api.stop_sms import number_sent
from stoplist.client import answers
from stoplist.domain.clock import LocalTimeFormatter
from stoplist.http.call import open_call
from stoplist.records.events import Event


async def history(request: Request) -> Response:
    call = await open_call(request)
    raw = number_sent(call.params, call.account.default_region)
    number, events = await run_in_threadpool(call.stop_list.history, raw)
    stop = await run_in_threadpool(call.stop_list.find, number)
    erased = await run_in_threadpool(call.stop_list.erased, number)
    formatter = LocalTimeFormatter(call.account.zone)
    answer = answers.History(
        **answers.ok(),
        phone_number=number,
        stopped=stop is not None,
        stop_id=stop.id if stop is not None else answers.UNSET,
        erased_at=formatter(erased.erased_at) if erased is not None else answers.UNSET,
        nb_data=len(events),
        data=[event_answer(event, formatter) for event in events],
    )
    return call.respond(answer)


def event_answer(event: Event, formatter: LocalTimeFormatter) -> answers.Event:
    """An event as the answers give it (the history's, and the evidence's with more)."""
    return answers.Event(
        id=event.id,
        type=event.kind.value,
        source=event.source.value,
        provider=event.provider,
        provider_message_id=event.provider_message_id,
        text=event.text,
        event_at=formatter(event.event_at),
        received_at=formatter(event.received_at),
        actor=event.actor,
        reason=event.reason,
        provider_time=event.provider_time_raw,
    )
