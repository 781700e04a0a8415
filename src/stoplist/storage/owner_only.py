"""Files and directories readable by their owner only, from the moment they exist.

What stoplist keeps on disk holds personal data: the database (phone
numbers, message texts, key digests), its backups and copies, the inbound
spool (whole messages). Under the usual umask 022 a plain ``open`` or
``mkdir`` would make them readable by every user of the machine, and a
``chmod`` afterwards leaves a moment when they are. So they are created
with their mode, in one call. What already exists is left as it is: an
operator may have given a group access on purpose.
"""

from __future__ import annotations

import os
from pathlib import Path

FILE_MODE = 0o600
DIRECTORY_MODE = 0o700


def open_new_file(path: Path | str) -> int:
    """A descriptor, open for writing, on a new file only its owner may read.

    ``FileExistsError`` when ``path`` exists: it is never opened, whatever it is.
    """
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)


def create_file(path: Path | str) -> None:
    """Create an empty file only its owner may read (``FileExistsError`` if there is one)."""
    os.close(open_new_file(path))


def make_directory(path: Path) -> None:
    """Make ``path`` a directory only its owner may enter, if there is none yet.

    Missing parents are made with the usual mode (they may be shared, such
    as ``/var/lib``); an existing directory keeps its own.
    """
    path.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
