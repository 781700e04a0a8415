"""``/v1/review/...``: possible opt-outs waiting for a person (an extension).

``list`` shows the queue (pending items by default), ``confirm`` stops the
number as of the message's time and ``dismiss`` keeps it a reply. Both take
an optional ``actor`` (who decided; ``api`` when not said) and ``reason``,
which go on the number's history with the decision. A confirmation's
answer ends with ``reply`` and ``replyQueued``, as inbound answers do: the
opt-out confirmation for the caller to send, or that stoplist sends it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from stoplist.client import answers
from stoplist.domain import clock
from stoplist.domain.clock import LocalTimeFormatter
from stoplist.domain.confirmations import given
from stoplist.domain.errors import ParameterRefused, ParameterRule
from stoplist.domain.parameters import MAX_ID, integer
from stoplist.domain.review import LISTABLE, MAX_PAGE, ReviewItem, ReviewQueue, Status
from stoplist.http.call import ApiCall, open_call
from stoplist.records.events import Source

_DEFAULT_ACTOR = "api"


def review_item(entry: ReviewItem, formatter: Callable[[int], str], now: int) -> answers.ReviewItem:
    """An item as the API and ``stoplist review --json`` show it, times by ``formatter``."""
    return answers.ReviewItem(**_fields(entry, formatter, now))


def _fields(entry: ReviewItem, formatter: Callable[[int], str], now: int) -> dict[str, Any]:
    """The item's fields by model name: shared by a listed item and a decision's answer."""

    def when(instant: int | None) -> str | None:
        return formatter(instant) if instant is not None else None

    return {
        "id": entry.id,
        "phone_number": entry.phone_number,
        "text": entry.text,
        "language": entry.language,
        "phrase": entry.phrase,
        "status": entry.status.value,
        "message_at": formatter(entry.message_at),
        "queued_at": formatter(entry.created_at),
        "overdue": entry.overdue(now),
        "event_id": entry.event_id,
        "decided_at": when(entry.decided_at),
        "decided_by": entry.decided_by,
        "reason": entry.decision_reason,
        "decision_event_id": entry.decision_event_id,
    }


async def list_items(request: Request) -> Response:
    call = await open_call(request)
    status = call.param("status")
    if status is None:
        status = "pending"
    if not isinstance(status, str) or status not in LISTABLE:
        raise ParameterRefused(ParameterRule.ONE_OF, name="status", choices=LISTABLE)
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
        raise ParameterRefused(ParameterRule.REQUIRED, name="id")
    actor = call.text_param("actor") or _DEFAULT_ACTOR
    reason = call.text_param("reason")
    queue = ReviewQueue(call.stop_list.db, call.account)
    decide = queue.confirm if confirmed else queue.dismiss
    decided = await run_in_threadpool(
        lambda: decide(item_id, source=Source.API, actor=actor, reason=reason)
    )
    formatter = LocalTimeFormatter(call.account.zone)
    fields = _fields(decided, formatter, decided.decided_at or 0)
    fields["reply"], fields["reply_queued"] = given(decided.reply)
    return call.respond(answers.ReviewDecision(**answers.ok(), **fields))


def _page(
    call: ApiCall, items: list[ReviewItem], pending: int, overdue: int
) -> answers.ReviewQueue:
    formatter = LocalTimeFormatter(call.account.zone)
    now = clock.now_us()
    return answers.ReviewQueue(
        **answers.ok(),
        pending=pending,
        overdue=overdue,
        nb_data=len(items),
        data=[review_item(entry, formatter, now) for entry in items],
    )
