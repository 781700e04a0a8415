"""``/v1/stop-sms/history``: a number's events, newest first (an extension)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from stoplist.api.stop_sms import single_number
from stoplist.domain.clock import LocalTimeFormatter
from stoplist.http.call import open_call
from stoplist.records.events import Event


async def history(request: Request) -> Response:
    call = await open_call(request)
    raw = single_number(call.param("phoneNumber", "phoneNumbers"))
    number, events = await run_in_threadpool(call.stop_list.history, raw)
    stop = await run_in_threadpool(call.stop_list.find, number)
    formatter = LocalTimeFormatter(call.account.zone)
    payload: dict[str, object] = {
        "success": True,
        "code": 200,
        "phoneNumber": number,
        "stopped": stop is not None,
    }
    if stop is not None:
        payload["stopId"] = stop.id
    payload["nbData"] = len(events)
    payload["data"] = [_event(event, formatter) for event in events]
    return call.respond(payload)


def _event(event: Event, formatter: LocalTimeFormatter) -> dict[str, object]:
    return {
        "id": event.id,
        "type": event.kind.value,
        "source": event.source.value,
        "provider": event.provider,
        "providerMessageId": event.provider_message_id,
        "text": event.text,
        "eventAt": formatter(event.event_at),
        "receivedAt": formatter(event.received_at),
        "actor": event.actor,
        "reason": event.reason,
        "providerTime": event.provider_time_raw,
    }
