"""Notices after an action say what the number's state is now, whatever the address says.

A link is anyone's to write: ``?done=added`` beside a number that is not on
the list must not tell staff it is.
"""

from __future__ import annotations

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
