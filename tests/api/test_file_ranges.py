"""Ranges of a kept list are copied the same way with or without ``os.copy_file_range``."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from stoplist.api.file_ranges import copy_range
from stoplist.api.kept_lists import KeptCopyRenderer
from stoplist.api.list_cache import MIN_ROWS, ListCache
from stoplist.domain.accounts import Accounts
from stoplist.domain.imports import import_numbers
from stoplist.domain.stops import StopList
from stoplist.storage.database import Database

SOURCE = bytes(range(256)) * 20_000  # 5 MB: several pieces of the fallback's 1 MiB reads


def _copied(tmp_path: Path, offset: int, length: int, *, kernel: bool) -> bytes:
    source, target = tmp_path / "source", tmp_path / f"target-{kernel}"
    source.write_bytes(SOURCE)
    target.write_bytes(b"head:")
    with source.open("rb") as old, target.open("r+b") as new:
        new.seek(0, os.SEEK_END)
        copy_range(old.fileno(), new.fileno(), offset, length, kernel=kernel)
    return target.read_bytes()


@pytest.mark.parametrize("kernel", [True, False])
def test_a_range_is_appended_whole(tmp_path, kernel):
    offset, length = 12_345, len(SOURCE) - 20_000
    assert _copied(tmp_path, offset, length, kernel=kernel) == (
        b"head:" + SOURCE[offset : offset + length]
    )


@pytest.mark.parametrize("kernel", [True, False])
def test_a_range_past_the_end_is_an_error(tmp_path, kernel):
    with pytest.raises(OSError, match="shorter"):
        _copied(tmp_path, len(SOURCE) - 10, 100, kernel=kernel)


def test_a_copy_is_patched_where_copy_file_range_does_not_exist(tmp_path, monkeypatch):
    """As on macOS or Windows: the patched answer is the one a fresh rendering gives."""
    monkeypatch.delattr(os, "copy_file_range", raising=False)
    db = Database(f"sqlite:///{tmp_path}/a.db")
    db.migrate()
    try:
        stops = StopList(db, Accounts(db).create("shop").account)
        import_numbers(stops, [f"+3361{i:07d}" for i in range(3 * MIN_ROWS)])
        kept = KeptCopyRenderer(ListCache(tmp_path / "lists"))
        b"".join(kept.render(stops, "json").chunks)  # rendered, and a copy kept
        stops.add("+33699999999")
        patched = kept.render(stops, "json")
        assert patched.size is not None  # sent from a file: patched, not rendered again
        body = b"".join(patched.chunks)
        fresh = KeptCopyRenderer(ListCache(tmp_path / "fresh")).render(stops, "json")
        assert body == b"".join(fresh.chunks)
        assert httpx.Response(200, content=body).json()["nbData"] == 3 * MIN_ROWS + 1
    finally:
        db.dispose()
