"""A directory of records waiting for the database, one file each, durable once put.

An inbound message that cannot be written at once (an import holds the
list's lock longer than a provider waits for its answer) is kept here, and
written later by whichever process of the machine takes it first. A record
is on disk, ``fsync``-ed with its directory entry, before ``put`` returns:
a crash or a power cut after the provider got its answer loses nothing.

Files are named so that sorting them gives the order they were put in.
Several processes may drain one directory: a process takes a record with an
exclusive ``flock`` and removes its file before letting the lock go, and a
record whose file was removed meanwhile is skipped, so each record is
handled once whatever the interleaving (twice only if a process dies
between its commit and the removal; the caller's writing must then be
idempotent).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from stoplist.storage import owner_only

_SUFFIX = ".json"
_PARTIAL = ".partial"
_PARTIAL_AGE = 60.0
MAX_RECORD_BYTES = 1 << 20
"""Far more than a message (its body is at most 64 KiB): anything larger is not one."""


class NotARecord(OSError):
    """A file in the spool that no ``put`` wrote (a pipe, a link, something huge)."""


SET_ASIDE = "set-aside"
"""The subdirectory where records that can never be written are moved, for a person."""


@dataclass(frozen=True, slots=True)
class SetAside:
    """A record set aside: its name, when it was written (ns), and its bytes if it is one."""

    name: str
    written_ns: int
    record: bytes | None


class Spool:
    """Records in ``directory``, oldest first."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @staticmethod
    def new_name() -> str:
        """A name for a record to put, in the order records come."""
        return f"{time.time_ns():020d}-{uuid.uuid4().hex}{_SUFFIX}"

    def put(self, record: bytes, name: str | None = None) -> str:
        """Keep ``record`` durably, under ``name`` (``new_name``) or a new one; returns it."""
        owner_only.make_directory(self.directory)
        name = name or self.new_name()
        partial = self.directory / (name + _PARTIAL)
        try:
            write_synced(partial, record)
            os.replace(partial, self.directory / name)
        except BaseException:
            partial.unlink(missing_ok=True)  # a full disk leaves no half record behind
            raise
        sync_directory(self.directory)
        return name

    def check(self) -> None:
        """Make the directory if need be, and prove that a record can be put in it.

        Partial records older than a minute are removed: a process killed while
        writing one never acknowledged it. Raises ``OSError`` saying what is wrong.
        """
        owner_only.make_directory(self.directory)
        probe = self.directory / f".probe-{uuid.uuid4().hex}{_PARTIAL}"
        write_synced(probe, b"probe")
        probe.unlink()
        stale = time.time() - _PARTIAL_AGE
        for entry in os.scandir(self.directory):
            if entry.name.endswith(_PARTIAL) and entry.stat().st_mtime < stale:
                Path(entry.path).unlink(missing_ok=True)

    def names(self) -> list[str]:
        """The records waiting, oldest first."""
        try:
            entries = os.listdir(self.directory)
        except FileNotFoundError:
            return []
        return sorted(name for name in entries if name.endswith(_SUFFIX))

    def __len__(self) -> int:
        return len(self.names())

    @contextmanager
    def take(self, name: str) -> Iterator[bytes | None]:
        """The record ``name``, removed when the block ends without error.

        None when another process holds it or has already removed it. If the
        block raises, the record stays for a later attempt.
        """
        path = self.directory / name
        try:
            # Never blocks on a pipe, never follows a link out of the directory.
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
        except FileNotFoundError:
            yield None
            return
        with os.fdopen(fd, "rb") as file:
            held = os.fstat(file.fileno())
            if not stat.S_ISREG(held.st_mode) or held.st_size > MAX_RECORD_BYTES:
                raise NotARecord(f"{name} is not a spooled record")
            try:
                fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield None
                return
            if not _same_file(path, file.fileno()):
                yield None  # handled and removed by another process before we locked it
                return
            yield file.read()
            path.unlink(missing_ok=True)  # the block may have set it aside
            sync_directory(self.directory)

    def set_aside(self, name: str) -> Path:
        """Move a record that can never be written out of the way; returns where it went."""
        owner_only.make_directory(self.directory / SET_ASIDE)
        with self._set_aside_directory() as aside:
            if aside is None:
                raise FileNotFoundError(errno.ENOENT, "no set-aside directory", SET_ASIDE)
            os.replace(self.directory / name, name, dst_dir_fd=aside)
            os.fsync(aside)
        sync_directory(self.directory)
        return self.directory / SET_ASIDE / name

    def set_aside_count(self) -> int:
        with self._set_aside_directory() as aside:
            return 0 if aside is None else len(_record_names(aside))

    def set_aside_records(self) -> Iterator[SetAside]:
        """The records set aside, each read the way ``take`` reads one (``record`` None for
        what is not one: a pipe, a link, a directory, something huge)."""
        with self._set_aside_directory() as aside:
            if aside is None:
                return
            for name in _record_names(aside):
                try:
                    fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW, dir_fd=aside)
                except FileNotFoundError:
                    continue
                except OSError:  # a link (ELOOP), or a file we may not read
                    try:
                        written = os.lstat(name, dir_fd=aside).st_mtime_ns
                    except OSError:
                        continue
                    yield SetAside(name, written, None)
                    continue
                held = os.fstat(fd)
                if not stat.S_ISREG(held.st_mode) or held.st_size > MAX_RECORD_BYTES:
                    os.close(fd)
                    yield SetAside(name, held.st_mtime_ns, None)
                    continue
                with open(fd, "rb") as file:
                    record = file.read()
                yield SetAside(name, held.st_mtime_ns, record)

    def discard_set_aside(self, name: str) -> None:
        """Remove a record set aside, for good (``OSError`` for what cannot be: a directory)."""
        with self._set_aside_directory() as aside:
            if aside is None:
                return
            with contextlib.suppress(FileNotFoundError):
                os.unlink(name, dir_fd=aside)
            os.fsync(aside)

    @contextmanager
    def _set_aside_directory(self) -> Iterator[int | None]:
        """The set-aside directory, opened without following a link; None when there is none.

        A link in its place would send records, and their removal, outside the
        spool: it raises (``ELOOP``) rather than being followed.
        """
        try:
            fd = os.open(self.directory / SET_ASIDE, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        except FileNotFoundError:
            yield None
            return
        try:
            yield fd
        finally:
            os.close(fd)


def _record_names(directory: int) -> list[str]:
    return sorted(name for name in os.listdir(directory) if name.endswith(_SUFFIX))


def _same_file(path: Path, fd: int) -> bool:
    try:
        on_disk = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (on_disk.st_dev, on_disk.st_ino) == (held.st_dev, held.st_ino)


def write_synced(path: Path, data: bytes) -> None:
    """A new file (never an existing one) holding ``data``, on disk when this returns."""
    with open(owner_only.open_new_file(path), "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())


def sync_directory(directory: Path) -> None:
    """Make a file's creation, rename or removal in ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
