"""The review queue's calls (an extension of stoplist's): list, confirm, dismiss.

Kept apart from ``_core`` (the contract's calls) only for length; the sync
and async clients send these like any other ``Call``.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from stoplist.client import answers
from stoplist.client._core import Call, parse_time
from stoplist.client.errors import ServerError
from stoplist.client.models import ReviewItem, ReviewPage


def list_call(status: str | None, limit: int | None, after: int | None) -> Call:
    given = {"status": status, "limit": limit, "after": after}
    params = {name: value for name, value in given.items() if value is not None}
    return Call("review list", "GET", "review/list", answers.ReviewQueue, params)


def decision_call(item_id: int, *, confirmed: bool, actor: str | None, reason: str | None) -> Call:
    """``confirm`` or ``dismiss``; not retried once sent, since a decision is final.

    A lost first attempt that did land would make the retry answer code 96
    (decided already), which cannot be told from someone else's decision.
    """
    decision = "confirm" if confirmed else "dismiss"
    params: dict[str, Any] = {"id": item_id}
    if actor is not None:
        params["actor"] = actor
    if reason is not None:
        params["reason"] = reason
    return Call(
        f"review {decision}",
        "POST",
        f"review/{decision}",
        answers.ReviewDecision,
        params,
        idempotent=False,
    )


def item(answer: Any, zone: ZoneInfo) -> ReviewItem:
    """An item with its times as aware datetimes.

    ``answer`` is an ``answers.ReviewItem`` of a page or the
    ``answers.ReviewDecision`` of a decision: the same fields.
    """
    message_at = parse_time(answer.message_at, zone)
    queued_at = parse_time(answer.queued_at, zone)
    if message_at is None or queued_at is None:
        raise ServerError("a review item has no messageAt or queuedAt")
    return ReviewItem(
        id=answer.id,
        phone_number=answer.phone_number,
        text=answer.text,
        language=answer.language,
        phrase=answer.phrase,
        status=answer.status,
        message_at=message_at,
        queued_at=queued_at,
        overdue=answer.overdue,
        event_id=answer.event_id,
        decided_at=parse_time(answer.decided_at, zone),
        decided_by=answer.decided_by or None,
        reason=answer.reason or None,
        decision_event_id=answer.decision_event_id,
    )


def page(answer: answers.ReviewQueue, zone: ZoneInfo) -> ReviewPage:
    return ReviewPage(
        items=[item(entry, zone) for entry in answer.data],
        pending=answer.pending,
        overdue=answer.overdue,
    )
