"""``/v1/webhooks/...``: an account manages its outgoing webhook endpoints (an extension)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from stoplist.client import answers
from stoplist.domain.clock import LocalTimeFormatter
from stoplist.domain.errors import NotFound, ParameterRefused, ParameterRule
from stoplist.domain.parameters import MAX_SMALL_ID, integer
from stoplist.domain.webhooks import Webhooks
from stoplist.http.call import ApiCall, open_call
from stoplist.storage.webhooks import EndpointRow

_STATUSES = ("pending", "delivered", "failed", "cancelled")
_MAX_LIMIT = 1000


def _webhooks(call: ApiCall) -> Webhooks:
    settings = call.request.app.state.settings
    return Webhooks(call.stop_list.db, call.account, allow_private=settings.webhook_allow_private)


def _endpoint(endpoint: EndpointRow, formatter: LocalTimeFormatter) -> answers.Endpoint:
    return answers.Endpoint(
        id=endpoint.id, url=endpoint.url, created_at=formatter(endpoint.created_at)
    )


async def list_endpoints(request: Request) -> Response:
    call = await open_call(request)
    endpoints = await run_in_threadpool(_webhooks(call).list)
    formatter = LocalTimeFormatter(call.account.zone)
    data = [_endpoint(endpoint, formatter) for endpoint in endpoints]
    return call.respond(answers.Endpoints(**answers.ok(), nb_data=len(data), data=data))


async def add_endpoint(request: Request) -> Response:
    call = await open_call(request)
    url = call.param("url")
    if not isinstance(url, str):
        raise ParameterRefused(ParameterRule.REQUIRED, name="url")
    created = await run_in_threadpool(_webhooks(call).add, url)  # RefusedUrl is a code 91
    answer = answers.EndpointAdded(**answers.ok(), id=created.endpoint.id, secret=created.secret)
    return call.respond(answer)


async def delete_endpoint(request: Request) -> Response:
    call = await open_call(request)
    endpoint_id = integer(call.param("id"), "id", 1, MAX_SMALL_ID)
    if endpoint_id is None:
        raise ParameterRefused(ParameterRule.REQUIRED, name="id")
    try:
        await run_in_threadpool(_webhooks(call).remove, endpoint_id)
    except LookupError:
        raise NotFound() from None
    return call.respond(answers.Done(**answers.ok()))


async def list_deliveries(request: Request) -> Response:
    call = await open_call(request)
    status = call.param("status")
    if status is not None and status not in _STATUSES:
        raise ParameterRefused(ParameterRule.ONE_OF, name="status", choices=_STATUSES)
    limit = integer(call.param("limit"), "limit", 1, _MAX_LIMIT) or 100
    found = await run_in_threadpool(lambda: _webhooks(call).deliveries(status=status, limit=limit))
    formatter = LocalTimeFormatter(call.account.zone)

    def when(instant: int | None) -> str | None:
        return formatter(instant) if instant is not None else None

    data = [
        answers.Delivery(
            id=delivery.id,
            endpoint_id=delivery.endpoint_id,
            event_id=delivery.event_id,
            webhook_id=delivery.message_id,
            status=delivery.status,
            attempts=delivery.attempts,
            last_status_code=delivery.last_status_code,
            last_error=delivery.last_error,
            created_at=when(delivery.created_at),
            next_attempt_at=when(delivery.next_attempt_at)
            if delivery.status == "pending"
            else None,
            delivered_at=when(delivery.delivered_at),
        )
        for delivery, _attempts in found
    ]
    return call.respond(answers.Deliveries(**answers.ok(), nb_data=len(data), data=data))
