"""The code's layout rules that no linter checks: a long module says why it is long."""

from __future__ import annotations

import ast
from pathlib import Path

import stoplist

LONG = 400
_SAYS_WHY = ("400 lines", "length", "longer than most")


def test_every_module_over_400_lines_says_why_at_its_top():
    unexplained = []
    for path in sorted(Path(stoplist.__file__).parent.rglob("*.py")):
        source = path.read_text()
        if source.count("\n") <= LONG:
            continue
        docstring = ast.get_docstring(ast.parse(source)) or ""
        if not any(words in docstring for words in _SAYS_WHY):
            unexplained.append(str(path))
    assert unexplained == []
