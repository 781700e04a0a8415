"""CSV cells of outside text that a spreadsheet shows as text, never runs as a formula.

Excel, LibreOffice Calc and Google Sheets read a cell that begins with
``=``, ``+``, ``-`` or ``@`` as a formula, and a leading tab or carriage
return can start one too (OWASP, "CSV Injection"); LibreOffice's "Trim
spaces" import option drops leading spaces first. Whoever can put text into
an exported cell (anyone who texts the business, a provider's message id, a
line of an uploaded file) could then have ``=HYPERLINK(...)`` or a DDE
command run on the computer of the person who opens the export. Such a cell
gets one apostrophe in front, which spreadsheets take as "this is text".

The rule can be undone exactly: a cell that already begins with apostrophes
followed by such a beginning gets one more too. So a cell was changed if and
only if it begins with an apostrophe and, without it, still matches the
rule; dropping that one apostrophe gives back the text as stored.

Every CSV writer of stoplist passes its cells of outside text through
``text_cell``: the event export and the dashboard's import summaries. The
list export has none: its cells are an id, an E.164 number, a time and a
source name, all made or checked by stoplist. (A workbook's rows become CSV
text in ``import_files`` only for the import to read, never for a person to
open, so they stay as they are.)
"""

from __future__ import annotations

import re

_FORMULA = re.compile(r"'*(?:\s*[=+\-@]|[\t\r])")


def text_cell(value: str) -> str:
    """``value`` with an apostrophe in front when a spreadsheet could read it as a formula."""
    return "'" + value if _FORMULA.match(value) else value
