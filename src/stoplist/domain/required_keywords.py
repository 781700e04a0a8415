"""The opt-out keywords an account may not lose by accident.

Carriers and regulators require STOP (and CANCEL, END, QUIT, UNSUBSCRIBE,
ARRÊT...) to stop messages whatever the sender configured; an account whose
STOP had been removed, or turned into an opt-in, would answer every STOP as a
reply, and lose it without a trace. So every built-in opt-out keyword can only
ever mean opt-out for an account, unless the change is explicitly forced. The
check lives here, in the domain, so that the command line and the dashboard
(and anything later) refuse the same changes.

An account's own phrase is judged by what the built-in keywords make of it:
"stop merci" reads as STOP, so it may not become an opt-in either (the
longest keyword wins, so it would take STOP's place for that message).
"""

from __future__ import annotations

from stoplist.domain.errors import RequiredOptOutKeyword
from stoplist.domain.keywords import OPT_OUT_KEYWORDS, KeywordSet, normalize_keyword
from stoplist.records.events import EventKind

REQUIRED_OPT_OUTS: frozenset[str] = frozenset(normalize_keyword(word) for word in OPT_OUT_KEYWORDS)
"""Every built-in opt-out keyword, normalised: all of them, in every language."""


def is_required(keyword: str) -> bool:
    """Whether the normalised ``keyword`` reads as a built-in opt-out (alone or with fillers)."""
    if keyword in REQUIRED_OPT_OUTS:
        return True
    return KeywordSet.built_in().classify(keyword).kind is EventKind.OPT_OUT


def check_change(keyword: str, kind: EventKind | None, *, force: bool = False) -> None:
    """Refuse to make the normalised ``keyword`` mean ``kind`` (``None``: no keyword at all)
    when that would stop a required opt-out from opting out, unless ``force``.

    Removing an account's own phrase only brings back what the built-in
    keywords make of it, so only a built-in opt-out is kept from removal.
    """
    if force or kind is EventKind.OPT_OUT:
        return
    required = keyword in REQUIRED_OPT_OUTS if kind is None else is_required(keyword)
    if required:
        raise RequiredOptOutKeyword(keyword, None if kind is None else kind.value)
