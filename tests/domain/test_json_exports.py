"""JSON and NDJSON exports read as their numbers, whatever their layout and block ends."""

from __future__ import annotations

import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stoplist.domain import json_exports
from stoplist.domain.errors import UnreadableExport
from stoplist.domain.import_files import open_import

TRICKY = st.text(alphabet=st.sampled_from('0123456789+ },{[]"\\\n\r\té:'), max_size=20)
"""Values with what could cut an entry in the wrong place: ``},``, quotes, escapes, line ends."""
EXTRA = st.dictionaries(
    st.sampled_from(["id", "createdAt", "source", "tags"]),
    st.integers() | TRICKY | st.lists(st.dictionaries(st.just("a"), TRICKY), max_size=2),
    max_size=3,
)


def _lines(data: bytes) -> list[str]:
    text = open_import(io.BytesIO(data))  # type: ignore[arg-type]
    try:
        chunks = []
        while chunk := text.read(1 << 20):
            chunks.append(chunk)
        return "".join(chunks).split("\n")[:-1]
    finally:
        text.close()


def _cell(number: str) -> str:
    cell = number.replace("\r", " ").replace("\n", " ")
    return cell if cell.strip() else '""'


@settings(max_examples=300, deadline=None)
@given(
    entries=st.lists(st.tuples(TRICKY, EXTRA), min_size=1, max_size=12),
    indent=st.sampled_from([None, 0, 2]),
    block=st.integers(1, 80),
)
def test_every_entry_is_one_line_wherever_blocks_end(entries, indent, block):
    objects = [{**extra, "phoneNumber": number} for number, extra in entries]
    array = json.dumps(objects, indent=indent).encode()
    ndjson = "".join(json.dumps(item) + "\n" for item in objects).encode()
    expected = [_cell(number) for number, _ in entries]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(json_exports, "_BLOCK_CHARS", block)
        assert _lines(array) == expected
        assert _lines(ndjson) == expected


def test_an_array_cut_anywhere_is_refused_at_the_entry_it_cuts(monkeypatch):
    monkeypatch.setattr(json_exports, "_BLOCK_CHARS", 16)
    entries = [
        {"id": i, "phoneNumber": f"+3361234567{i}", "createdAt": "2026-01-01 00:00:00"}
        for i in range(4)
    ]
    whole = json.dumps(entries, separators=(",", ":")).encode()
    for end in range(2, len(whole) - 1):  # from "[{" on, short of the closing "]"
        with pytest.raises(UnreadableExport) as refused:
            _lines(whole[:end])
        assert (refused.value.at, refused.value.malformed) == (whole[:end].count(b"}") + 1, True)
    assert len(_lines(whole)) == 4


@pytest.mark.parametrize("block", [1000, 1 << 16, 1 << 20])
@pytest.mark.parametrize("fmt", ["json", "ndjson"])
def test_an_entry_past_64_kib_is_refused_wherever_blocks_end(fmt, block):
    entries = [{"id": i, "phoneNumber": f"+3361234{i:04d}"} for i in range(3000)]

    def export(notes: int) -> bytes:
        long = {"phoneNumber": "+33612345678", "notes": "x" * notes}
        listed = [*entries, long, *entries]
        if fmt == "json":
            return json.dumps(listed).encode()
        return "".join(json.dumps(item) + "\n" for item in listed).encode()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(json_exports, "_BLOCK_CHARS", block)
        assert len(_lines(export(60_000))) == 6001
        with pytest.raises(UnreadableExport) as refused:
            _lines(export(70_000))
    assert refused.value.at == 3001


@pytest.mark.parametrize(
    "data",
    [
        b"[" + b"[" * 10_000 + b"]" * 10_000 + b"]",
        b'[{"phoneNumber":"+33612345678","x":' + b'{"a":' * 5_000 + b"1" + b"}" * 5_000 + b"}]",
        b'{"phoneNumber":"+33612345678","x":' + b"[" * 5_000 + b"]" * 5_000 + b"}\n",
    ],
    ids=["nested arrays", "nested objects", "nested ndjson"],
)
def test_an_entry_nested_past_any_export_is_refused_not_a_crash(data):
    with pytest.raises(UnreadableExport) as refused:
        _lines(data)
    assert refused.value.at == 1
