"""The spool's files: kept in order, taken by one holder at a time, removed once handled."""

from __future__ import annotations

import os

import pytest

from stoplist.storage.spool import SET_ASIDE, Spool


@pytest.fixture
def spool(tmp_path):
    return Spool(tmp_path / "spool")


def test_records_come_back_in_the_order_they_were_put(spool):
    names = [spool.put(f"record {i}".encode()) for i in range(5)]
    assert spool.names() == names
    assert len(spool) == 5
    assert not any(path.name.endswith(".partial") for path in spool.directory.iterdir())


def test_an_empty_or_missing_spool_has_nothing(tmp_path):
    assert Spool(tmp_path / "never made").names() == []
    assert Spool(tmp_path / "never made").set_aside_count() == 0


def test_a_record_taken_and_handled_is_gone(spool):
    name = spool.put(b"hello")
    with spool.take(name) as record:
        assert record == b"hello"
    assert spool.names() == []


def test_a_record_whose_handling_failed_stays(spool):
    name = spool.put(b"hello")
    with pytest.raises(RuntimeError), spool.take(name) as record:
        assert record == b"hello"
        raise RuntimeError("the database went away")
    assert spool.names() == [name]


def test_a_record_held_by_another_taker_is_skipped(spool):
    """Each take opens the file afresh, as another process would: the lock keeps it single."""
    name = spool.put(b"hello")
    with spool.take(name) as first:
        assert first == b"hello"
        with spool.take(name) as second:
            assert second is None
    assert spool.names() == []


def test_a_record_removed_meanwhile_is_skipped(spool):
    name = spool.put(b"hello")
    (spool.directory / name).unlink()
    with spool.take(name) as record:
        assert record is None


def test_a_record_set_aside_leaves_the_queue(spool):
    kept = spool.put(b"fine")
    broken = spool.put(b"broken")
    with spool.take(broken):
        where = spool.set_aside(broken)
    assert where.parent.name == SET_ASIDE
    assert where.read_bytes() == b"broken"
    assert spool.names() == [kept]
    assert spool.set_aside_count() == 1


def test_a_pipe_or_a_link_is_not_a_record(spool, tmp_path):
    """Neither blocks the taker nor leads it out of the directory: both are refused."""
    spool.directory.mkdir()
    os.mkfifo(spool.directory / "00000000000000000001-pipe.json")
    outside = tmp_path / "outside"
    outside.write_bytes(b"x" * 100)
    (spool.directory / "00000000000000000002-link.json").symlink_to(outside)
    for name in spool.names():
        with pytest.raises(OSError), spool.take(name):
            pass
