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

from stoplist.domain.parameters import MAX_ID, instant, integer

MAX_LIMIT = 10_000


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
        since=instant(params.get("since"), "since", zone),
        until=instant(params.get("until"), "until", zone),
        after=integer(params.get("after"), "after", 0, MAX_ID),
        limit=integer(params.get("limit"), "limit", 1, MAX_LIMIT),
    )
