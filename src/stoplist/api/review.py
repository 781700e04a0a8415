"""``/v1/review/...``: possible opt-outs waiting for a person (an extension).

``list`` shows the queue (pending items by default), ``confirm`` stops the
number as of the message's time and ``dismiss`` keeps it a reply. Both take
an optional ``actor`` (who decided; ``api`` when not said) and ``reason``,
which go on the number's history with the decision.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from stoplist.domain import clock
from stoplist.domain.clock import LocalTimeFormatter
from stoplist.domain.errors import InvalidParameter
from stoplist.domain.parameters import MAX_ID, integer
from stoplist.domain.review import LISTABLE, MAX_PAGE, ReviewItem, ReviewQueue, Status
from stoplist.http.call import ApiCall, open_call
from stoplist.records.events import Source

MAX_TEXT = 1000
_DEFAULT_ACTOR = "api"


def item_json(item: ReviewItem, formatter: Callable[[int], str], now: int) -> dict[str, object]:
    """An item as the API and ``stoplist review --json`` show it, times by ``formatter``."""

    def when(instant: int | None) -> str | None:
        return formatter(instant) if instant is not None else None

    return {
        "id": item.id,
        "phoneNumber": item.phone_number,
        "text": item.text,
        "language": item.language,
        "phrase": item.phrase,
        "status": item.status.value,
        "messageAt": formatter(item.message_at),
        "queuedAt": formatter(item.created_at),
        "overdue": item.overdue(now),
        "eventId": item.event_id,
        "decidedAt": when(item.decided_at),
        "decidedBy": item.decided_by,
        "reason": item.decision_reason,
        "decisionEventId": item.decision_event_id,
    }


async def list_items(request: Request) -> Response:
    call = await open_call(request)
    status = call.param("status")
    if status is None:
        status = "pending"
    if not isinstance(status, str) or status not in LISTABLE:
        raise InvalidParameter("status is pending, confirmed, dismissed or all")
    limit = integer(call.param("limit"), "limit", 1, MAX_PAGE) or 100
    after = integer(call.param("after"), "after", 1, MAX_ID)
    queue = ReviewQueue(call.stop_list.db, call.account)
    wanted = None if status == "all" else Status(status)
    items, backlog = await run_in_threadpool(
        lambda: (queue.items(status=wanted, limit=limit, after=after), queue.backlog())
    )
    return call.respond(_page(call, items, backlog.pending, backlog.overdue))


async def confirm(request: Request) -> Response:
    return await _decide(request, confirmed=True)


async def dismiss(request: Request) -> Response:
    return await _decide(request, confirmed=False)


async def _decide(request: Request, *, confirmed: bool) -> Response:
    call = await open_call(request)
    item_id = call.param("id")
    if item_id is None:
        raise InvalidParameter("id is required")
    actor = _text(call, "actor") or _DEFAULT_ACTOR
    reason = _text(call, "reason")
    queue = ReviewQueue(call.stop_list.db, call.account)
    decide = queue.confirm if confirmed else queue.dismiss
    item = await run_in_threadpool(
        lambda: decide(item_id, source=Source.API, actor=actor, reason=reason)
    )
    formatter = LocalTimeFormatter(call.account.zone)
    payload: dict[str, object] = {"success": True, "code": 200}
    payload.update(item_json(item, formatter, item.decided_at or 0))
    return call.respond(payload)


def _page(call: ApiCall, items: list[ReviewItem], pending: int, overdue: int) -> dict[str, object]:
    formatter = LocalTimeFormatter(call.account.zone)
    now = clock.now_us()
    return {
        "success": True,
        "code": 200,
        "pending": pending,
        "overdue": overdue,
        "nbData": len(items),
        "data": [item_json(item, formatter, now) for item in items],
    }


def _text(call: ApiCall, name: str) -> str | None:
    value = call.param(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidParameter(f"{name} must be a string")
    value = value.strip()
    if len(value) > MAX_TEXT:
        raise InvalidParameter(f"{name} is too long (at most {MAX_TEXT} characters)")
    return value or None
