"""Which CSV cells get an apostrophe, and that the documented way back gives the text."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from stoplist.domain.csv_cells import text_cell


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        (
            '=HYPERLINK("http://evil.example","click")',
            '\'=HYPERLINK("http://evil.example","click")',
        ),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tSTOP", "'\tSTOP"),
        ("\rSTOP", "'\rSTOP"),
        ("  =1", "'  =1"),
        ("\n@x", "'\n@x"),
        ("'=1", "''=1"),
        ("''  -1", "'''  -1"),
        ("STOP", "STOP"),
        ("", ""),
        ("'quoted", "'quoted"),
        ("'", "'"),
        ("a=1", "a=1"),
        ("  STOP", "  STOP"),
        ("\nSTOP", "\nSTOP"),
    ],
)
def test_cells_a_spreadsheet_would_run_get_an_apostrophe(text, cell):
    assert text_cell(text) == cell


def _back(cell: str) -> str:
    """The way back the documentation gives: drop the first character of a cell that begins
    with an apostrophe and, without it, would still get one."""
    rest = cell[1:]
    return rest if cell.startswith("'") and text_cell(rest) != rest else cell


FORMULA_LIKE = st.text(st.sampled_from("'= +-@\t\r\nAx1("), max_size=8)


@settings(max_examples=500, deadline=None)
@given(FORMULA_LIKE | st.text(max_size=40))
@example("'=1")
@example("'")
def test_the_text_as_stored_comes_back_from_its_cell(text):
    assert _back(text_cell(text)) == text
