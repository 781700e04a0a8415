"""A spool on a full disk refuses the record whole, and takes the next once there is room."""

from __future__ import annotations

import pytest

from stoplist.storage.spool import Spool


def test_a_full_disk_leaves_no_half_record(small_disk):
    spool = Spool(small_disk.path / "spool")
    spool.directory.mkdir()
    small_disk.fill()
    with pytest.raises(OSError):
        spool.put(b"x" * 65_536)
    assert list(spool.directory.iterdir()) == []  # neither a record nor its partial file
    small_disk.free()
    name = spool.put(b"x" * 65_536)
    assert spool.names() == [name]
