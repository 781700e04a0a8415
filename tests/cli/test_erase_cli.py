"""``stoplist erase``: asks first, erases once, and the number stays stopped."""

from __future__ import annotations

import json

from stoplist.domain.stops import StopList
from tests.support import run_cli_here

NUMBER = "+33612345678"


def test_erase_asks_then_erases(database_url, db, account):
    stop_list = StopList(db, account.account)
    stop = stop_list.add(NUMBER)
    name = account.account.name

    refused = run_cli_here(
        "erase", "0612345678", "--account", name, "--database", database_url, input="n\n",
        check=False,
    )  # fmt: skip
    assert refused.returncode == 1 and "nothing erased" in refused.stderr
    assert stop_list.erased(NUMBER) is None

    done = run_cli_here(
        "erase", "06 12 34 56 78", "--account", name, "--by", "dpo", "--reason", "letter",
        "--yes", "--json", "--database", database_url,
    )  # fmt: skip
    answer = json.loads(done.stdout)
    assert (answer["phoneNumber"], answer["stopId"], answer["already"]) == (NUMBER, stop.id, False)
    assert answer["concealed"]["events"] == 1  # the opt-out of the add above
    assert stop_list.find(NUMBER) == stop
    assert stop_list.count() == 0
    (event, _) = stop_list.history(NUMBER)[1]
    assert (event.kind.value, event.actor, event.reason, event.text) == (
        "erased", "dpo", "letter", None,
    )  # fmt: skip

    again = run_cli_here("erase", NUMBER, "--account", name, "--yes", "--database", database_url)
    assert "erased already" in again.stdout


def test_erase_refuses_what_is_not_a_number(database_url, account):
    refused = run_cli_here(
        "erase", "hello", "--account", account.account.name, "--yes",
        "--database", database_url, check=False,
    )  # fmt: skip
    assert refused.returncode == 1 and refused.stderr.startswith("error:")
