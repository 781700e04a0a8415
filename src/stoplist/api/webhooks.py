"""``/v1/webhooks/...``: an account manages its outgoing webhook endpoints (an extension)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from stoplist.domain.clock import LocalTimeFormatter
from stoplist.domain.errors import InvalidParameter, NotFound
from stoplist.domain.parameters import MAX_SMALL_ID, integer
from stoplist.domain.webhooks import Webhooks
from stoplist.http.call import ApiCall, open_call
from stoplist.storage.webhooks import EndpointRow

_STATUSES = ("pending", "delivered", "failed", "cancelled")
_MAX_LIMIT = 1000


def _webhooks(call: ApiCall) -> Webhooks:
    settings = call.request.app.state.settings
    return Webhooks(call.stop_list.db, call.account, allow_private=settings.webhook_allow_private)


def _endpoint(endpoint: EndpointRow, formatter: LocalTimeFormatter) -> dict[str, object]:
    return {"id": endpoint.id, "url": endpoint.url, "createdAt": formatter(endpoint.created_at)}


async def list_endpoints(request: Request) -> Response:
    call = await open_call(request)
    endpoints = await run_in_threadpool(_webhooks(call).list)
    formatter = LocalTimeFormatter(call.account.zone)
    return call.respond(
        {
            "success": True,
            "code": 200,
            "nbData": len(endpoints),
            "data": [_endpoint(endpoint, formatter) for endpoint in endpoints],
        }
    )


async def add_endpoint(request: Request) -> Response:
    call = await open_call(request)
    url = call.param("url")
    if not isinstance(url, str):
        raise InvalidParameter("url is required")
    created = await run_in_threadpool(_webhooks(call).add, url)  # RefusedUrl is a code 91
    return call.respond(
        {"success": True, "code": 200, "id": created.endpoint.id, "secret": created.secret}
    )


async def delete_endpoint(request: Request) -> Response:
    call = await open_call(request)
    endpoint_id = integer(call.param("id"), "id", 1, MAX_SMALL_ID)
    if endpoint_id is None:
        raise InvalidParameter("id is required")
    try:
        await run_in_threadpool(_webhooks(call).remove, endpoint_id)
    except LookupError:
        raise NotFound() from None
    return call.respond({"success": True, "code": 200})


async def list_deliveries(request: Request) -> Response:
    call = await open_call(request)
    status = call.param("status")
    if status is not None and status not in _STATUSES:
        raise InvalidParameter("status is pending, delivered, failed or cancelled")
    limit = integer(call.param("limit"), "limit", 1, _MAX_LIMIT) or 100
    found = await run_in_threadpool(lambda: _webhooks(call).deliveries(status=status, limit=limit))
    formatter = LocalTimeFormatter(call.account.zone)

    def when(instant: int | None) -> str | None:
        return formatter(instant) if instant is not None else None

    data = [
        {
            "id": delivery.id,
            "endpointId": delivery.endpoint_id,
            "eventId": delivery.event_id,
            "webhookId": delivery.message_id,
            "status": delivery.status,
            "attempts": delivery.attempts,
            "lastStatusCode": delivery.last_status_code,
            "lastError": delivery.last_error,
            "createdAt": when(delivery.created_at),
            "nextAttemptAt": when(delivery.next_attempt_at)
            if delivery.status == "pending"
            else None,
            "deliveredAt": when(delivery.delivered_at),
        }
        for delivery, _attempts in found
    ]
    return call.respond({"success": True, "code": 200, "nbData": len(data), "data": data})
