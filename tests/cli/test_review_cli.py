"""``stoplist accounts update --reasonable-means`` and ``stoplist review`` as operators use them.

The tables run as real processes (their width comes from the terminal's
``COLUMNS``); every other call runs in this process (``run_cli_here``).
"""

from __future__ import annotations

import json

from stoplist.domain.accounts import Accounts
from stoplist.domain.confirmations import DEFAULT_TEXTS
from stoplist.domain.inbound import Inbound, InboundMessage
from stoplist.domain.stops import StopList
from stoplist.records.events import EventKind
from tests.support import run_cli, run_cli_here


def _accounts(database_url: str) -> dict[str, dict]:
    listed = json.loads(
        run_cli_here("accounts", "list", "--json", "--database", database_url).stdout
    )
    return {account["name"]: account for account in listed}


def test_switching_the_mode(database_url, db, account):
    name = account.account.name
    assert _accounts(database_url)[name]["reasonableMeans"] == "review"
    shown = run_cli_here(
        "accounts", "update", name, "--reasonable-means", "OptOut", "--database", database_url
    )
    assert "reasonable means optout" in shown.stdout
    assert _accounts(database_url)[name]["reasonableMeans"] == "optout"
    assert Accounts(db).get(name).reasonable_means == "optout"
    table = run_cli("accounts", "list", "--database", database_url, env={"COLUMNS": "200"})
    assert "optout" in table.stdout
    refused = run_cli_here(
        "accounts", "update", name, "--reasonable-means", "maybe", "--database", database_url,
        check=False,
    )  # fmt: skip
    assert refused.returncode != 0 and "use optout, review or off" in refused.stderr
    assert Accounts(db).get(name).reasonable_means == "optout"
    nothing = run_cli_here("accounts", "update", name, "--database", database_url, check=False)
    assert nothing.returncode != 0 and "nothing to change" in nothing.stderr
    as_json = run_cli_here(
        "accounts", "update", name, "--reasonable-means", "off", "--database", database_url,
        "--json",
    )  # fmt: skip
    assert json.loads(as_json.stdout)["reasonableMeans"] == "off"


def test_listing_confirming_and_dismissing(database_url, db, account):
    name = account.account.name
    inbound = Inbound(db, account.account)
    for number, text in (
        ("+33612345678", "arrêtez de m'envoyer des sms"),
        ("+33612345679", "leave me alone"),
    ):
        assert inbound.receive(InboundMessage("generic", number, text)).review_item is not None
    listed = json.loads(
        run_cli_here(
            "review", "list", "--account", name, "--database", database_url, "--json"
        ).stdout
    )
    assert [item["phoneNumber"] for item in listed] == ["+33612345678", "+33612345679"]
    table = run_cli(
        "review", "list", "--account", name, "--database", database_url, env={"COLUMNS": "200"}
    )
    assert "arrêtez de m'envoyer des sms" in table.stdout

    first, second = (str(item["id"]) for item in listed)
    confirmed = run_cli_here(
        "review", "confirm", first, "--account", name, "--by", "Marc", "--reason", "clear",
        "--database", database_url,
    )  # fmt: skip
    assert "+33612345678 stopped" in confirmed.stdout
    french = DEFAULT_TEXTS["fr"][EventKind.OPT_OUT].replace("{sender}", name)
    assert f"send this opt-out confirmation: {french}" in confirmed.stdout
    stop = StopList(db, account.account).find("+33612345678")
    assert stop is not None and stop.source == "cli"
    _, events = StopList(db, account.account).history("+33612345678")
    opt_out = next(event for event in events if event.kind.value == "opt_out")
    assert (opt_out.actor, opt_out.reason) == ("Marc", "clear")

    dismissed = run_cli_here(
        "review", "dismiss", second, "--account", name, "--database", database_url, "--json"
    )
    assert json.loads(dismissed.stdout)["status"] == "dismissed"
    assert StopList(db, account.account).find("+33612345679") is None

    again = run_cli_here(
        "review", "dismiss", first, "--account", name, "--database", database_url, check=False
    )
    assert again.returncode != 0 and "decided already" in again.stderr
    unknown = run_cli_here(
        "review", "confirm", "12345678", "--account", name, "--database", database_url,
        check=False,
    )  # fmt: skip
    assert unknown.returncode != 0 and "cannot be found" in unknown.stderr
    every = json.loads(
        run_cli_here(
            "review", "list", "--account", name, "--status", "all", "--database", database_url,
            "--json",
        ).stdout
    )  # fmt: skip
    assert [item["status"] for item in every] == ["confirmed", "dismissed"]
