"""``BodyLines`` reads a body in any chunking exactly as ``splitlines`` reads it whole."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stoplist.api.body_lines import BodyLines
from stoplist.domain.errors import BodyTooLarge, InvalidParameter


def _whole(body: bytes) -> list[str]:
    text = body.decode("utf-8", errors="replace").removeprefix("\ufeff")
    return [line.strip() for line in text.splitlines()]


def _chunked(body: bytes, cuts: list[int], **limits: int) -> list[str]:
    lines = BodyLines(
        max_bytes=limits.get("max_bytes", 1 << 30),
        max_lines=limits.get("max_lines", 1 << 30),
        too_many=lambda: InvalidParameter("too many"),
    )
    start = 0
    for cut in sorted(set(cuts)):
        lines.feed(body[start:cut])
        start = cut
    lines.feed(body[start:])
    return lines.finish()


_PIECES = st.sampled_from(
    [b"\n", b"\r", b"\r\n", b" ", b"\t", b"\xef\xbb\xbf", b"06 12", b"+33611111111", b"\xc3\xa9",
     b"\xe2\x80\xa8", b"\x85", b"\xc2\x85", b"\xff", b"\x0b", b"x", b""]
)  # fmt: skip


@given(
    st.lists(_PIECES, max_size=40).map(b"".join),
    st.lists(st.integers(min_value=0, max_value=200), max_size=12),
)
def test_any_chunking_reads_the_same_lines(body, cuts):
    assert _chunked(body, [cut for cut in cuts if cut <= len(body)]) == _whole(body)


def test_a_long_line_across_many_chunks():
    body = b"a" * 100_000 + b"\nb\n"
    assert _chunked(body, list(range(0, len(body), 7))) == ["a" * 100_000, "b"]


def test_refuses_the_first_line_too_many():
    with pytest.raises(InvalidParameter):
        _chunked(b"1\n2\n3\n", [], max_lines=2)
    with pytest.raises(InvalidParameter):
        _chunked(b"1\n\n2\n", [], max_lines=2)  # a blank line is a line
    assert _chunked(b"1\n2\n", [], max_lines=2) == ["1", "2"]


def test_a_blank_line_is_kept_in_its_place():
    assert _chunked(b"0600000001\n\n0612345678\n", []) == ["0600000001", "", "0612345678"]
    assert _chunked(b"0600000001\r\n \r\n0612345678", []) == ["0600000001", "", "0612345678"]


def test_the_last_line_end_starts_no_line():
    assert _chunked(b"0600000001\n", []) == ["0600000001"]
    assert _chunked(b"0600000001\r\n", []) == ["0600000001"]
    assert _chunked(b"0600000001\n\n", []) == ["0600000001", ""]


def test_a_line_end_cut_between_its_two_bytes_ends_one_line():
    assert _chunked(b"0600000001\r\n0612345678\r\n", [11, 23]) == ["0600000001", "0612345678"]


def test_refuses_the_first_byte_too_many():
    with pytest.raises(BodyTooLarge):
        _chunked(b"12345", [2], max_bytes=4)
