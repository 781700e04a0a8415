"""Which page numbers a pager shows: the first, the last, and a few around the current one."""

from __future__ import annotations

AROUND = 2


def page_links(current: int, pages: int, around: int = AROUND) -> list[int | None]:
    """Page numbers in order, ``None`` where a run of pages is left out.

    ``page_links(6, 185)`` is ``[1, None, 4, 5, 6, 7, 8, None, 185]``: every
    page is two jumps away at most, and the list stays short on a phone.
    """
    shown = {1, pages, *range(max(1, current - around), min(pages, current + around) + 1)}
    links: list[int | None] = []
    previous = 0
    for number in sorted(shown):
        if number - previous == 2:
            links.append(number - 1)
        elif number - previous > 2:
            links.append(None)
        links.append(number)
        previous = number
    return links
