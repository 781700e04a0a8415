"""Copying a range of one open file to the end of another, in the kernel where it can.

``os.copy_file_range`` moves the bytes without bringing them into the
process (and may share the blocks on file systems that can), but Python has
it only on Linux, and even there a kernel or file system may refuse it
(``EXDEV`` across file systems on older kernels, ``ENOSYS``, ``EINVAL``,
``EOPNOTSUPP``). Then the range is read and written in large pieces.
"""

from __future__ import annotations

import errno
import os

_PIECE = 1024 * 1024
_REFUSED = {errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.EPERM}


def copy_range(source: int, target: int, offset: int, length: int, *, kernel: bool = True) -> None:
    """Append ``length`` bytes of ``source`` from ``offset`` at ``target``'s position.

    ``kernel=False`` skips ``copy_file_range`` (what every system without it
    gets). ``OSError`` if ``source`` ends before the range does.
    """
    if kernel and hasattr(os, "copy_file_range"):
        while length:
            try:
                sent = os.copy_file_range(source, target, length, offset)
            except OSError as error:
                if error.errno not in _REFUSED:
                    raise
                break  # the rest by reading and writing
            if sent == 0:
                raise OSError("the file is shorter than the range to copy")
            offset += sent
            length -= sent
    _by_reading(source, target, offset, length)


def _by_reading(source: int, target: int, offset: int, length: int) -> None:
    """The portable way: ``lseek`` and ``read`` (``pread`` is not everywhere either)."""
    os.lseek(source, offset, os.SEEK_SET)
    while length:
        piece = os.read(source, min(length, _PIECE))
        if not piece:
            raise OSError("the file is shorter than the range to copy")
        written = 0
        while written < len(piece):
            written += os.write(target, piece[written:])
        length -= len(piece)
