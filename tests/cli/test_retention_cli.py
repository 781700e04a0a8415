"""``stoplist accounts update --retention-days`` and ``stoplist retention`` against the
real server: a STOP sent two days ago loses its text, the number stays stopped, and
``audit verify`` and the evidence still prove it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from tests.support import run_cli_here

OLD, NEW = "+33612345671", "+33612345672"


def _inbound(account) -> str:
    return f"/inbound/{account.account.inbound_token}/generic"


def test_retention_through_the_commands_and_the_server(http, database_url, account):
    name, key = account.account.name, account.api_key
    sent = (datetime.now(UTC) - timedelta(hours=47)).isoformat()
    old = {"from": OLD, "text": "STOP svp", "id": "o-1", "timestamp": sent}
    assert http.post(_inbound(account), json=old).status_code == 200
    assert http.post(_inbound(account), json={"from": NEW, "text": "STOP", "id": "n-1"}).is_success

    refused = run_cli_here(
        "accounts", "update", name, "--retention-days", "0", "--database", database_url, check=False
    )
    assert refused.returncode == 1 and "from 1 to 36500" in refused.stderr
    updated = run_cli_here(
        "accounts", "update", name, "--retention-days", "1", "--json", "--database", database_url
    )
    assert json.loads(updated.stdout)["retentionDays"] == 1
    listed = run_cli_here("accounts", "list", "--json", "--database", database_url)
    assert [a["retentionDays"] for a in json.loads(listed.stdout) if a["name"] == name] == [1]

    applied = run_cli_here(
        "retention", "apply", "--account", name, "--by", "dpo", "--json",
        "--database", database_url,
    )  # fmt: skip
    (outcome,) = json.loads(applied.stdout)
    assert (outcome["textsBlanked"], outcome["retentionDays"]) == (1, 1)
    shown = json.loads(
        run_cli_here("retention", "show", name, "--json", "--database", database_url).stdout
    )
    (sweep,) = shown["sweeps"]
    assert (sweep["textsBlanked"], sweep["source"], sweep["actor"]) == (1, "cli", "dpo")
    assert sweep["eventId"] == outcome["eventId"]

    # The sweep is an event of the account's history, in its export.
    exported = http.get("/v1/events/export", params={"apiKey": key, "format": "ndjson"})
    records = [json.loads(line) for line in exported.text.splitlines()]
    (recorded,) = [r for r in records if r["type"] == "retention"]
    assert (recorded["id"], recorded["phoneNumber"], recorded["source"]) == (
        outcome["eventId"],
        "",
        "cli",
    )
    assert recorded["details"]["cutoff"] == outcome["cutoff"]

    verified = run_cli_here("audit", "verify", "--account", name, "--database", database_url)
    assert verified.returncode == 0

    def evidence(number: str) -> dict:
        params = {"apiKey": key, "phoneNumber": number}
        return http.get("/v1/stop-sms/evidence", params=params).json()

    blanked, kept = evidence(OLD), evidence(NEW)
    assert blanked["stopped"] is True and blanked["verified"] is True
    (event,) = blanked["data"]
    assert event["type"] == "opt_out" and event["text"] is None
    assert event["providerMessageId"] == "o-1" and event["eventAt"]
    assert event["proof"]["textDigest"] and event["proof"]["contentVerified"]
    assert kept["data"][0]["text"] == "STOP"

    check = http.get("/v1/stop-sms/check", params={"apiKey": key, "phoneNumber": OLD}).json()
    assert check["stopped"] is True
    filtered = http.post("/v1/stop-sms/filter", json={"apiKey": key, "phoneNumbers": [OLD, NEW]})
    assert [item["status"] for item in filtered.json()["data"]] == ["stopped", "stopped"]
