"""Renderings of whole lists kept on disk and sent like static files.

Listing a million stops means reading a million rows and encoding each one,
several times slower than sending a file of the same bytes. On SQLite each
account's list has a version that moves in the very transaction that changes
one of its stops (``storage.stops.touch_list``), so a rendering made from a
snapshot at version V is exactly the answer for as long as the version is V.
The first whole listing after a change streams from the database as usual
and keeps a copy of its bytes on the way; later ones at the same version
send that copy.

Only whole lists (no paging, no date bounds) of at least ``MIN_ROWS``
entries are kept: a page or a short list costs little to render. A copy is
written under a temporary name and renamed when complete, so no reader ever
sees half of one, and workers racing to write the same version are harmless.
Writing a version removes the account's older ones; an answer already
sending one keeps its open file.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from stoplist.storage.database import Database

logger = logging.getLogger("stoplist")

CACHE_DIR_ENV = "STOPLIST_LIST_CACHE_DIR"
"""Where copies go; ``off`` turns the cache off. Default: beside the SQLite file."""
MIN_ROWS = 10_000
_READ_SIZE = 1024 * 1024
_STALE_TEMPORARY_SECONDS = 3600


@dataclass(frozen=True, slots=True)
class RenderingKey:
    """What a whole-list answer depends on besides the rows themselves."""

    account_id: int
    format: str
    zone: str
    version: int

    @property
    def family(self) -> str:
        """The name shared by every version of this account's list in this format and zone."""
        zone = hashlib.sha256(self.zone.encode()).hexdigest()[:12]
        return f"list-{self.account_id}-{self.format}-{zone}-"

    @property
    def filename(self) -> str:
        return f"{self.family}{self.version}"


class ListCache:
    """The directory of kept renderings (``None``: nothing is kept)."""

    def __init__(self, directory: Path | None, *, min_rows: int = MIN_ROWS) -> None:
        self.directory = directory
        self.min_rows = min_rows

    @classmethod
    def for_database(cls, db: Database) -> ListCache:
        """Beside the SQLite file unless configured; off where no list version is kept."""
        configured = os.environ.get(CACHE_DIR_ENV, "").strip()
        if configured.lower() == "off" or not db.is_sqlite:
            return cls(None)
        if configured:
            return cls(Path(configured))
        path = db.engine.url.database
        if not path or path == ":memory:":
            return cls(None)
        return cls(Path(f"{path}-lists"))

    @property
    def enabled(self) -> bool:
        return self.directory is not None

    def open(self, key: RenderingKey) -> tuple[BinaryIO, int] | None:
        """The kept rendering for ``key`` and its size, opened for reading, if there is one."""
        if self.directory is None:
            return None
        try:
            file = (self.directory / key.filename).open("rb")
        except OSError:
            return None
        return file, os.fstat(file.fileno()).st_size

    def keep(self, chunks: Iterator[bytes], key: RenderingKey, rows: int) -> Iterator[bytes]:
        """Pass ``chunks`` through, keeping a copy when the list is long enough.

        The copy is kept only if every chunk went through: an answer cut short
        (the client went away, the database failed) leaves nothing behind.
        """
        if self.directory is None or rows < self.min_rows:
            yield from chunks
            return
        copy = _Copy.start(self.directory, key)
        complete = False
        try:
            for chunk in chunks:
                if copy is not None:
                    copy = copy.write(chunk)
                yield chunk
            complete = True
        finally:
            if copy is not None:
                if complete:
                    copy.finish()
                else:
                    copy.abandon()


def read_file(file: BinaryIO) -> Iterator[bytes]:
    """A kept rendering in large reads; the file is closed at the end or if abandoned."""
    with file:
        while chunk := file.read(_READ_SIZE):
            yield chunk


@dataclass(slots=True)
class _Copy:
    """A rendering being written under a temporary name."""

    directory: Path
    key: RenderingKey
    temporary: Path
    file: BinaryIO

    @classmethod
    def start(cls, directory: Path, key: RenderingKey) -> _Copy | None:
        temporary = directory / f".{key.filename}.{uuid.uuid4().hex}.tmp"
        try:
            directory.mkdir(parents=True, exist_ok=True)
            file = temporary.open("wb")
        except OSError as error:
            logger.warning("cannot keep a copy of the list in %s: %s", directory, error)
            return None
        return cls(directory, key, temporary, file)

    def write(self, chunk: bytes) -> _Copy | None:
        """Append ``chunk``; on a write error (a full disk) give up the copy, not the answer."""
        try:
            self.file.write(chunk)
        except OSError as error:
            logger.warning("cannot keep a copy of the list: %s", error)
            self.abandon()
            return None
        return self

    def finish(self) -> None:
        try:
            self.file.close()
            os.replace(self.temporary, self.directory / self.key.filename)
        except OSError as error:
            logger.warning("cannot keep a copy of the list: %s", error)
            self.abandon()
            return
        self._remove_older()

    def abandon(self) -> None:
        self.file.close()
        self.temporary.unlink(missing_ok=True)

    def _remove_older(self) -> None:
        """Drop this list's older versions, and temporaries left by a crashed worker."""
        family = self.key.family
        stale_before = time.time() - _STALE_TEMPORARY_SECONDS
        for path in self.directory.iterdir():
            name = path.name
            try:
                if name.startswith(family) and name != self.key.filename:
                    version = name.removeprefix(family)
                    if version.isdigit() and int(version) < self.key.version:
                        path.unlink(missing_ok=True)
                elif name.endswith(".tmp") and path.stat().st_mtime < stale_before:
                    path.unlink(missing_ok=True)
            except OSError:
                continue
