"""Whole lists answered from kept copies: sent, patched, or rendered and kept.

The copies themselves (their files, how they are patched) are
``api.list_cache``'s; this is the ``ListRenderer`` the list endpoint asks.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import BinaryIO

from stoplist.api.list_cache import ListCache, RenderingKey, read_file
from stoplist.api.list_renderers import ListRenderer, RenderedList, SnapshotRenderer, ready
from stoplist.domain.clock import LocalTimeFormatter
from stoplist.domain.stops import StopList
from stoplist.http import render
from stoplist.http.negotiation import Format

logger = logging.getLogger("stoplist")

PREPARE_MIN_ROWS = 100_000
"""``prepare`` renders a list with no copy to patch only from this length: a
shorter one renders in well under a second when it is first asked for."""
PREPARE_WAIT_SECONDS = 60.0
"""How long a whole listing waits for a preparation under way before rendering itself."""


class KeptCopyRenderer:
    """Whole lists answered from ``cache``: the kept copy, a patched one, or a new one.

    With nothing to start from, or too much changed, the list is rendered
    from a snapshot and a copy is kept on the way (``ListCache.keep``); lists
    too short to be worth a copy are simply rendered.
    """

    def __init__(self, cache: ListCache) -> None:
        self.cache = cache
        self._preparing: dict[tuple[int, Format], threading.Event] = {}
        self._guard = threading.Lock()

    def render(self, stop_list: StopList, fmt: Format) -> RenderedList:
        self._await_preparation(stop_list, fmt)
        kept = self._kept(stop_list, fmt)
        if kept is not None:
            file, size = kept
            return RenderedList(read_file(file), size)
        return ready(self._rendered(stop_list, fmt))

    def prepare(self, stop_list: StopList, fmt: Format) -> None:
        """Have a copy of the list as it is now, patched or rendered (nothing is sent).

        An import calls it after its commit and before it answers, so that
        a listing asked the moment the import has answered is sent from the
        copy: a failure is logged, never raised (the import stands). A
        ``render`` of the same list meanwhile (another client) waits for it
        rather than reading the whole list a second time.
        """
        slot = (stop_list.account.id, fmt)
        with self._guard:
            if slot in self._preparing:
                return  # the preparation under way sees this change too, or the next one will
            done = self._preparing[slot] = threading.Event()
        try:
            kept = self._kept(stop_list, fmt)
            if kept is not None:
                kept[0].close()
                return
            for _ in self._rendered(stop_list, fmt, at_least=PREPARE_MIN_ROWS):
                pass
        except Exception as error:
            logger.warning("cannot prepare a copy of the list: %s", error)
        finally:
            with self._guard:
                del self._preparing[slot]
            done.set()

    def forget(self, stop_list: StopList) -> None:
        self.cache.forget(stop_list.account.id)

    def _await_preparation(self, stop_list: StopList, fmt: Format) -> None:
        with self._guard:
            under_way = self._preparing.get((stop_list.account.id, fmt))
        if under_way is not None:
            under_way.wait(PREPARE_WAIT_SECONDS)

    def _kept(self, stop_list: StopList, fmt: Format) -> tuple[BinaryIO, int] | None:
        version = stop_list.version()
        if version is None:
            return None
        key = _rendering_key(stop_list, fmt, version)
        kept = self.cache.open(key)
        if kept is None:
            formatter = LocalTimeFormatter(stop_list.account.zone)
            kept = self.cache.refresh(stop_list, key, formatter)
        return kept

    def _rendered(self, stop_list: StopList, fmt: Format, at_least: int = 0) -> Iterator[bytes]:
        """The list rendered from a snapshot, kept on the way; nothing if under ``at_least``."""
        formatter = LocalTimeFormatter(stop_list.account.zone)
        with stop_list.snapshot(with_value=True) as snapshot:
            if snapshot.total < at_least:
                return
            key = _rendering_key(stop_list, fmt, snapshot.version.number)
            kept = self.cache.keep(snapshot, key, formatter)
            yield from kept or render.encode_listing(
                fmt, snapshot.total, snapshot.batches, formatter
            )


def list_renderer(cache: ListCache) -> ListRenderer:
    """The renderer for whole lists: from copies kept in ``cache``, or from snapshots."""
    return KeptCopyRenderer(cache) if cache.enabled else SnapshotRenderer()


def _rendering_key(stop_list: StopList, fmt: Format, version: int) -> RenderingKey:
    account = stop_list.account
    return RenderingKey(account.id, fmt, account.timezone, version)
