"""Which keyword changes would lose a required opt-out, and are refused unless forced."""

from __future__ import annotations

import pytest

from stoplist.domain.errors import KeywordNotFound, RequiredOptOutKeyword
from stoplist.domain.inbound import AccountKeywords
from stoplist.domain.required_keywords import check_change
from stoplist.records.events import EventKind

REQUIRED = ["stop", "stopall", "unsubscribe", "cancel", "end", "quit", "arret", "annuler", "fin"]


@pytest.mark.parametrize("keyword", REQUIRED)
@pytest.mark.parametrize("kind", [None, EventKind.OPT_IN, EventKind.HELP])
def test_a_built_in_opt_out_only_ever_means_opt_out(keyword, kind):
    with pytest.raises(RequiredOptOutKeyword) as refused:
        check_change(keyword, kind)
    assert refused.value.keyword == keyword
    assert refused.value.action == (kind.value if kind else None)
    check_change(keyword, kind, force=True)
    check_change(keyword, EventKind.OPT_OUT)


def test_a_phrase_read_as_stop_may_not_become_something_else():
    with pytest.raises(RequiredOptOutKeyword):
        check_change("stop merci", EventKind.OPT_IN)
    check_change("stop merci", None)  # removing one's own phrase: STOP reads it again
    check_change("yes", EventKind.OPT_IN)
    check_change("desabo", None)


def test_a_refused_batch_changes_nothing(db, account):
    keywords = AccountKeywords(db, account.account)
    keywords.add("desabo", EventKind.OPT_OUT)
    with pytest.raises(RequiredOptOutKeyword):
        keywords.remove_all(["desabo", "END"])
    with pytest.raises(KeywordNotFound):
        keywords.remove_all(["desabo", "nothing here"])
    with pytest.raises(RequiredOptOutKeyword):
        keywords.add_all(["oui", "stop"], EventKind.OPT_IN)
    assert keywords.overrides() == {"desabo": EventKind.OPT_OUT}
