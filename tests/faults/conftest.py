"""A small disk of its own for fault tests: a tmpfs that can be filled and freed.

Mounting needs root (CI has it); without it the tests are skipped with the
reason. The mount point sits in a world-traversable directory so that
PostgreSQL's server process can keep a tablespace on it.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

DISK_SIZE = "48m"


@dataclass
class SmallDisk:
    """A mounted tmpfs; ``fill`` takes all but ``leave`` bytes of it, ``free`` gives them back."""

    path: Path

    @property
    def _filler(self) -> Path:
        return self.path / "filler"

    def free_bytes(self) -> int:
        stats = os.statvfs(self.path)
        return stats.f_bavail * stats.f_frsize

    def fill(self, leave: int = 0) -> None:
        block = b"\0" * (1024 * 1024)
        with self._filler.open("ab") as filler:
            while (room := self.free_bytes() - leave) > 0:
                try:
                    filler.write(block[: min(len(block), room)])
                    filler.flush()
                except OSError as error:
                    if error.errno != errno.ENOSPC:
                        raise
                    break

    def free(self) -> None:
        self._filler.unlink(missing_ok=True)


@pytest.fixture
def small_disk() -> Iterator[SmallDisk]:
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mountpoint = Path(tempfile.mkdtemp(prefix="stoplist-disk-"))
    mountpoint.chmod(0o755)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_SIZE},mode=0755", "tmpfs", str(mountpoint)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        shutil.rmtree(mountpoint, ignore_errors=True)
        pytest.skip(f"cannot mount a tmpfs: {mounted.stderr.strip()}")
    try:
        yield SmallDisk(mountpoint)
    finally:
        subprocess.run(["umount", "--lazy", str(mountpoint)], check=False)
        shutil.rmtree(mountpoint, ignore_errors=True)
