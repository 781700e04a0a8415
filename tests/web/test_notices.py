"""Notices after an action say what the number's state is now, whatever the address says.

A link is anyone's to write: ``?done=added`` beside a number that is not on
the list must not tell staff it is.
"""

from __future__ import annotations

from stoplist.domain.erasure import erase
from stoplist.domain.stops import StopList
from tests.web.conftest import dashboard_client


def test_a_crafted_notice_is_not_shown_beside_a_number_in_another_state(server, db, account):
    StopList(db, account.account).add("+33612345678")
    with dashboard_client(server, account.api_key) as (client, _):

        def shown(path: str, **query: str) -> str:
            answer = client.get(path, params=query)
            assert answer.status_code == 200, answer.text
            return answer.text

        free, stopped = "+33699999999", "+33612345678"
        assert "is now on the stop list" not in shown(
            "/dashboard/search", number=free, done="added"
        )
        assert "has been removed" not in shown("/dashboard/search", number=stopped, done="removed")
        assert "is stopped." not in shown("/dashboard/review", number=free, done="confirmed")
        assert "is stopped." not in shown("/dashboard/review", number="<b>hi</b>", done="confirmed")
        # The same notices beside numbers whose state they tell.
        assert "is now on the stop list" in shown("/dashboard/search", number=stopped, done="added")
        assert "has been removed" in shown("/dashboard/search", number=free, done="removed")
        assert "is stopped." in shown("/dashboard/review", number=stopped, done="confirmed")


def test_a_list_search_for_an_erased_number_says_it_is_stopped(server, db, account):
    """Erased numbers leave the list but stay stopped: "no number matches" alone misleads."""
    stops = StopList(db, account.account)
    stops.add("+33612345670")
    erase(stops, "+33612345670", actor="test")
    with dashboard_client(server, account.api_key) as (client, _):
        page = client.get("/dashboard/numbers", params={"q": "06 12 34 56 70"}).text
        assert "No number matches." in page
        assert "+33612345670 is stopped: erased at the person's request" in page
        assert 'href="/dashboard/search?number=%2B33612345670"' in page
        other = client.get("/dashboard/numbers", params={"q": "06 12 34 56 71"}).text
        assert "erased at the person" not in other
