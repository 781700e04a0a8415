"""What the client hands back: small frozen records with Python types.

Numbers are E.164 strings as the server sends them; instants are aware
``datetime`` objects in the account's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

FilterStatus = Literal["allowed", "stopped", "invalid"]


@dataclass(frozen=True, slots=True)
class Stop:
    """One entry of a stop list."""

    id: int
    phone_number: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Check:
    """Whether one number may receive messages."""

    phone_number: str
    stopped: bool
    stop_id: int | None = None
    created_at: datetime | None = None
    pending: bool = False
    """Stopped by a STOP acknowledged but not yet written (no ``stop_id`` yet)."""


@dataclass(frozen=True, slots=True)
class FilterItem:
    """The verdict on one input of ``filter``, in input order.

    ``phone_number`` is the E.164 form for valid inputs; invalid ones keep
    their ``input`` and the error ``code`` (9 for an invalid number), with
    why: ``reason`` a stable name (``too_short``...), ``detail`` in the
    answer's language (``None`` from servers that do not say).
    """

    status: FilterStatus
    phone_number: str | None = None
    stop_id: int | None = None
    pending: bool = False
    input: str | None = None
    code: int | None = None
    reason: str | None = None
    detail: str | None = None

    @property
    def allowed(self) -> bool:
        return self.status == "allowed"


@dataclass(frozen=True, slots=True)
class FilterResult:
    items: list[FilterItem]
    allowed: int
    stopped: int
    invalid: int

    @property
    def allowed_numbers(self) -> list[str]:
        """The numbers it is fine to send to, in input order."""
        return [item.phone_number for item in self.items if item.allowed and item.phone_number]


@dataclass(frozen=True, slots=True)
class HistoryEvent:
    """One thing that happened to a number: an opt-out, opt-in, help request or reply."""

    id: int
    type: str
    source: str
    event_at: datetime | None
    received_at: datetime | None
    provider: str | None = None
    provider_message_id: str | None = None
    text: str | None = None
    actor: str | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class History:
    phone_number: str
    stopped: bool
    stop_id: int | None = None
    events: list[HistoryEvent] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Page:
    """One page of ``list``; ``next_after`` is ``None`` on the last one.

    ``paged`` is false when the server ignored the paging parameters and sent
    its whole list (SMS Partner itself does).
    """

    stops: list[Stop]
    next_after: int | None
    paged: bool


ReviewStatus = Literal["pending", "confirmed", "dismissed"]


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """A message that asked to stop in other words than a keyword, and what became of it.

    ``phrase`` is what read as a request, in ``language``; ``message_at`` is
    when the person sent it (the opt-out's time, once confirmed). The
    ``decided_*`` fields, ``reason`` and ``decision_event_id`` are ``None``
    while the item is pending.
    """

    id: int
    phone_number: str
    text: str
    language: str
    phrase: str
    status: ReviewStatus
    message_at: datetime
    queued_at: datetime
    overdue: bool
    event_id: int
    decided_at: datetime | None = None
    decided_by: str | None = None
    reason: str | None = None
    decision_event_id: int | None = None


@dataclass(frozen=True, slots=True)
class ReviewPage:
    """One page of the review queue, oldest first, and the counts of the whole queue.

    The next page starts after the last item's id (``list_review(after=...)``).
    """

    items: list[ReviewItem]
    pending: int
    overdue: int
