"""A change asked for twice succeeds twice, but the second time says nothing changed.

Scripts may run a revocation or a switch again (exit 0 both times, the state
asked for holds); a person reading "revoked key 3" twice would believe the
second run did something, and miss a typo'd id or a switch made earlier.
"""

from __future__ import annotations

import json

from stoplist.domain.inbound_endpoints import InboundEndpoints
from tests.conftest import AccountWithKey
from tests.support import run_cli_here


def test_revoking_a_revoked_key_says_so_and_keeps_its_time(
    account: AccountWithKey, database_url: str
) -> None:
    name, db = account.account.name, ("--database", database_url)
    key = json.loads(run_cli_here("keys", "create", name, "--json", *db).stdout)
    first = run_cli_here("keys", "revoke", name, str(key["keyId"]), *db)
    assert first.stdout.startswith(f"revoked key {key['keyId']} (")
    again = run_cli_here("keys", "revoke", name, key["apiKey"], *db)
    assert again.returncode == 0
    assert again.stdout.startswith(
        f"key {key['keyId']} ({key['prefix']}…) was already revoked, on "
    )
    listed = json.loads(
        run_cli_here("keys", "revoke", name, str(key["keyId"]), *db, "--json").stdout
    )
    first_time = json.loads(run_cli_here("keys", "list", name, "--json", *db).stdout)[-1]
    assert listed["revokedAt"] == first_time["revokedAt"]


def test_switching_an_endpoint_to_the_state_it_is_in_says_already(
    account: AccountWithKey, database_url: str, db
) -> None:
    name = account.account.name

    def switch(command: str) -> str:
        return run_cli_here("inbound", command, name, "generic", "--database", database_url).stdout

    assert switch("enable") == "generic: already on\n"
    assert switch("disable") == "generic: off (its URL answers 404)\n"
    assert switch("disable") == "generic: already off (its URL answers 404)\n"
    assert InboundEndpoints(db, account.account).get("generic").enabled is False
    assert switch("enable") == "generic: on\n"
