"""The dashboard's keyword forms: a required opt-out (STOP...) changes only when forced."""

from __future__ import annotations

from stoplist.domain.inbound import AccountKeywords
from stoplist.records.events import EventKind
from tests.web.conftest import dashboard_client

REMOVE = "/dashboard/settings/keywords/remove"
ADD = "/dashboard/settings/keywords"


def _stop_answer(http, account, number: str) -> str:
    path = f"/inbound/{account.account.inbound_token}/generic"
    return http.post(path, json={"from": number, "text": "STOP"}).json()["type"]


def test_stop_is_kept_unless_the_box_is_ticked(server, http, db, account):
    with dashboard_client(server, account.api_key) as (client, token):
        page = client.get("/dashboard/settings").text
        assert page.count('name="force" value="on"') == 2  # on the add and the remove forms
        removed = client.post(
            REMOVE, data={"csrf_token": token, "keyword": "STOP", "mode": "remove"}
        )
        assert removed.status_code == 422, removed.text
        assert (
            "&#39;stop&#39; is an opt-out keyword carriers and regulators require" in removed.text
        )
        opt_in = client.post(ADD, data={"csrf_token": token, "keyword": "STOP", "action": "opt_in"})
        assert opt_in.status_code == 422, opt_in.text
        assert "it cannot mean opt_in unless the change is forced" in opt_in.text
        unknown = client.post(
            REMOVE, data={"csrf_token": token, "keyword": "notakeyword", "mode": "remove"}
        )
        assert unknown.status_code == 422, unknown.text
        assert "is not a keyword for this account" in unknown.text
        assert AccountKeywords(db, account.account).overrides() == {}
        assert _stop_answer(http, account, "+33612345611") == "opt_out"

        forced = client.post(
            ADD,
            data={"csrf_token": token, "keyword": "STOP", "action": "help", "force": "on"},
            follow_redirects=False,
        )
        assert forced.status_code == 303, forced.text
    assert AccountKeywords(db, account.account).overrides() == {"stop": EventKind.HELP}
    assert _stop_answer(http, account, "+33612345612") == "help"
