"""Whole-list answers: a renderer gives the bytes of an account's list as it is now.

The list endpoint asks a ``ListRenderer`` and sends what it gets. Two kinds
exist: ``SnapshotRenderer`` renders straight from a snapshot of the list,
and ``api.list_cache.KeptCopyRenderer`` sends (or patches, or renders and
keeps) a copy kept on disk. Both are called in a worker thread, never on
the event loop, since either may read the database.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from stoplist.domain.clock import LocalTimeFormatter
from stoplist.domain.stops import StopList
from stoplist.http import render
from stoplist.http.negotiation import Format
from stoplist.storage.list_views import Bounds


@dataclass(frozen=True, slots=True)
class RenderedList:
    """An answer ready to go: its first chunk is made; ``size`` is known for a kept file."""

    chunks: Iterator[bytes]
    size: int | None = None


class ListRenderer(Protocol):
    def render(self, stop_list: StopList, fmt: Format) -> RenderedList:
        """The whole list's answer in ``fmt``, at the version the list has now.

        The first chunk is made before returning, so a list that cannot be
        read fails here, while a proper error answer can still be sent.
        """
        ...

    def prepare(self, stop_list: StopList, fmt: Format) -> None:
        """Make the next ``render`` of the list as it is now quick (after a bulk change)."""
        ...

    def forget(self, stop_list: StopList) -> None:
        """Drop whatever is kept of the list (after an erasure: it names the number)."""
        ...


class SnapshotRenderer:
    """Every answer rendered from a snapshot of the list, a batch of entries at a time."""

    def render(self, stop_list: StopList, fmt: Format) -> RenderedList:
        return ready(listing_chunks(stop_list, fmt))

    def prepare(self, stop_list: StopList, fmt: Format) -> None:
        """Nothing to prepare: every answer is rendered afresh."""

    def forget(self, stop_list: StopList) -> None:
        """Nothing is kept."""


def listing_chunks(
    stop_list: StopList, fmt: Format, *, paged: bool = False, **query: int | None
) -> Iterator[bytes]:
    """A listing from one snapshot, its memory flat whatever its length.

    ``query`` bounds it (``since``, ``until``, ``after``, ``limit``); a
    ``paged`` answer ends with ``nextAfter``.
    """
    formatter = LocalTimeFormatter(stop_list.account.zone)
    with stop_list.snapshot(Bounds(**query)) as snapshot:
        yield from render.encode_listing(
            fmt, snapshot.total, snapshot.batches, formatter, paged=paged, more=snapshot.more
        )


def ready(chunks: Iterator[bytes], size: int | None = None) -> RenderedList:
    """``chunks`` as a ``RenderedList``, its first chunk made now."""
    first = next(chunks)
    return RenderedList(_prepend(first, chunks), size)


def _prepend(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest
