"""What the ``list`` extension parameters mean: pages by id, bounds on ``createdAt``.

Keyset paging (``after`` an id, at most ``limit`` entries) stays fast and
exact however deep the page, where an offset would rescan and skip entries
added meanwhile. Bad values are refused with code 91 rather than ignored, so
a client never mistakes a partial answer for the whole list.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from stoplist.domain import clock
from stoplist.domain.errors import InvalidParameter

MAX_LIMIT = 10_000
_MAX_ID = 2**63 - 1


@dataclass(frozen=True, slots=True)
class ListingQuery:
    since: int | None = None
    until: int | None = None
    after: int | None = None
    limit: int | None = None

    @property
    def paged(self) -> bool:
        """Whether the answer carries ``nextAfter`` (only when paging was asked for)."""
        return self.limit is not None or self.after is not None

    @property
    def whole(self) -> bool:
        """Whether this asks for the whole list, the compatible default."""
        return self == ListingQuery()

    def as_kwargs(self) -> dict[str, int | None]:
        return {"since": self.since, "until": self.until, "after": self.after, "limit": self.limit}


def listing_query(params: Mapping[str, object], zone: ZoneInfo) -> ListingQuery:
    """Read ``limit``, ``after``, ``since`` and ``until``; absent means unbounded."""
    return ListingQuery(
        since=_instant(params.get("since"), "since", zone),
        until=_instant(params.get("until"), "until", zone),
        after=_integer(params.get("after"), "after", 0, _MAX_ID),
        limit=_integer(params.get("limit"), "limit", 1, MAX_LIMIT),
    )


def _present(value: object) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _integer(value: object, name: str, low: int, high: int) -> int | None:
    if not _present(value):
        return None
    if isinstance(value, bool):
        raise InvalidParameter(f"{name} must be an integer from {low} to {high}")
    text = str(value).strip()
    if not text.isascii() or not text.isdigit() or not low <= int(text) <= high:
        raise InvalidParameter(f"{name} must be an integer from {low} to {high}")
    return int(text)


def _instant(value: object, name: str, zone: ZoneInfo) -> int | None:
    if not _present(value):
        return None
    try:
        return clock.parse_local(str(value), zone)
    except ValueError:
        raise InvalidParameter(
            f"{name} must be YYYY-MM-DD, YYYY-MM-DD HH:MM:SS or ISO 8601 with an offset"
        ) from None
