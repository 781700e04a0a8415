"""``stoplist keywords``: a required opt-out (STOP, END...) is never lost by accident.

Each refusal is checked where it matters: the real server's inbound endpoint
still answers the keyword as an opt-out afterwards.
"""

from __future__ import annotations

import json

import httpx

from tests.support import run_cli_here

REFUSED = 2


def _answer(http: httpx.Client, token: str, number: str, text: str) -> dict[str, object]:
    answer = http.post(f"/inbound/{token}/generic", json={"from": number, "text": text})
    assert answer.status_code == 200, answer.text
    return answer.json()


def _mine(name: str, database_url: str) -> dict[str, str]:
    listed = run_cli_here("keywords", "list", name, "--database", database_url, "--json").stdout
    return {
        row["keyword"]: row["action"] for row in json.loads(listed) if row["origin"] == "account"
    }


def test_stop_cannot_be_removed_or_turned_into_an_opt_in(http, account, database_url):
    name, token = account.account.name, account.account.inbound_token
    removed = run_cli_here(
        "keywords", "remove", name, "STOP", "--database", database_url, check=False
    )
    assert removed.returncode == REFUSED
    assert removed.stdout == ""
    assert "'stop'" in removed.stderr and "require" in removed.stderr
    assert "--force" in removed.stderr

    for action in ("opt_in", "help"):
        redefined = run_cli_here(
            "keywords", "add", name, "STOP", "--action", action,
            "--database", database_url, check=False,
        )  # fmt: skip
        assert redefined.returncode == REFUSED, redefined.stdout
        assert "'stop'" in redefined.stderr and action in redefined.stderr

    # A phrase that reads as STOP would take its place for that message: refused too.
    phrase = run_cli_here(
        "keywords", "add", name, "stop merci", "--action", "opt_in",
        "--database", database_url, check=False,
    )  # fmt: skip
    assert phrase.returncode == REFUSED
    assert _mine(name, database_url) == {}

    for number, text in (("+33612345601", "STOP"), ("+33612345602", "stop merci")):
        answer = _answer(http, token, number, text)
        assert (answer["type"], answer["stopped"]) == ("opt_out", True), text


def test_every_built_in_opt_out_is_kept_and_a_batch_is_all_or_nothing(http, account, database_url):
    name, token = account.account.name, account.account.inbound_token
    run_cli_here("keywords", "add", name, "DESABO", "--database", database_url)
    for keyword in ("STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "ARRÊT", "ANNULER"):
        refused = run_cli_here(
            "keywords", "remove", name, "DESABO", keyword, "--database", database_url, check=False
        )
        assert refused.returncode == REFUSED, keyword
    assert _mine(name, database_url) == {"desabo": "opt_out"}
    assert _answer(http, token, "+33612345603", "ARRÊT")["type"] == "opt_out"
    assert _answer(http, token, "+33612345604", "End")["type"] == "opt_out"

    # An opt-out keyword may always be made an opt-out again.
    again = run_cli_here("keywords", "add", name, "END", "--database", database_url)
    assert again.stdout.strip() == "end: opt_out"


def test_removing_a_word_that_is_no_keyword_says_so(account, database_url):
    name = account.account.name
    unknown = run_cli_here(
        "keywords", "remove", name, "notakeyword", "--database", database_url, check=False
    )
    assert unknown.returncode == REFUSED
    assert "removed" not in unknown.stdout
    assert "'notakeyword' is not a keyword for this account" in unknown.stderr

    run_cli_here("keywords", "remove", name, "INFO", "--database", database_url)
    twice = run_cli_here(
        "keywords", "remove", name, "info", "--database", database_url, check=False
    )
    assert twice.returncode == REFUSED
    assert "'info' is not a keyword" in twice.stderr


def test_a_forced_change_is_made_and_reset_brings_stop_back(http, account, database_url):
    name, token = account.account.name, account.account.inbound_token
    forced = run_cli_here("keywords", "remove", name, "STOP", "--force", "--database", database_url)
    assert forced.stdout.strip() == "stop: removed"
    assert _answer(http, token, "+33612345605", "STOP")["type"] == "reply"

    run_cli_here("keywords", "remove", name, "STOP", "--reset", "--database", database_url)
    assert _answer(http, token, "+33612345606", "STOP")["type"] == "opt_out"

    run_cli_here(
        "keywords", "add", name, "END", "--action", "help", "--force", "--database", database_url
    )
    assert _mine(name, database_url) == {"end": "help"}
    assert _answer(http, token, "+33612345607", "END")["type"] == "help"
