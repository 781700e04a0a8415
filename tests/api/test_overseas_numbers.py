"""French overseas numbers written nationally, through every way a number comes in.

Each path talks to the real server (or runs the real CLI) on a French
account; every one must read ``0690 84 50 73`` as the Guadeloupe mobile
``+590690845073``, never refuse it.
"""

from __future__ import annotations

import json

import httpx

from stoplist.domain.accounts import Accounts
from stoplist.domain.stops import StopList
from tests.overseas import OVERSEAS
from tests.support import Server, run_cli_here
from tests.web.conftest import dashboard_client

API = "/v1/stop-sms"
UNIQUE = sorted({e164 for _, e164 in OVERSEAS})


def _listed(http: httpx.Client, key: str) -> list[str]:
    answer = http.get(f"{API}/list", params={"apiKey": key}).json()
    return sorted(entry["phoneNumber"] for entry in answer["data"])


def test_add_check_filter_and_history(http, account):
    key = account.api_key
    for national, e164 in OVERSEAS:
        added = http.post(f"{API}/add", json={"apiKey": key, "phoneNumber": national})
        if added.status_code == 409:  # the same number, in another spelling, came earlier
            assert [n for n, e in OVERSEAS if e == e164].index(national) > 0
            continue
        assert added.status_code == 200, (national, added.text)
        again = http.post(f"{API}/add", json={"apiKey": key, "phoneNumber": e164})
        assert again.json()["code"] == 3
    assert _listed(http, key) == UNIQUE
    for national, e164 in OVERSEAS:
        checked = http.get(f"{API}/check", params={"apiKey": key, "phoneNumber": national}).json()
        assert (checked["phoneNumber"], checked["stopped"]) == (e164, True), national
        history = http.get(f"{API}/history", params={"apiKey": key, "phoneNumber": national})
        assert history.json()["phoneNumber"] == e164
    nationals = [national for national, _ in OVERSEAS]
    filtered = http.post(f"{API}/filter", json={"apiKey": key, "phoneNumbers": nationals}).json()
    assert [item["status"] for item in filtered["data"]] == ["stopped"] * len(OVERSEAS)
    assert [item["phoneNumber"] for item in filtered["data"]] == [e for _, e in OVERSEAS]
    as_text = http.post(
        f"{API}/filter",
        headers={"Authorization": f"Bearer {key}"},
        content="\n".join(nationals).encode(),
    ).json()
    assert as_text["counts"] == {"allowed": 0, "stopped": len(OVERSEAS), "invalid": 0}


def _crm_export() -> bytes:
    lines = ["Nom;Téléphone;Email"]
    lines += [f"Client {i};{national};c{i}@example.com" for i, (national, _) in enumerate(OVERSEAS)]
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def test_import_through_the_api_and_the_cli(http, db, account, database_url, tmp_path):
    answer = http.post(
        f"{API}/import", params={"apiKey": account.api_key}, content=_crm_export()
    ).json()
    assert (answer["added"], answer["alreadyStopped"], answer["invalid"]) == (
        len(UNIQUE),
        len(OVERSEAS) - len(UNIQUE),
        0,
    )
    assert answer["column"] == "Téléphone"
    assert _listed(http, account.api_key) == UNIQUE

    other = Accounts(db).create(f"overseas-cli-{tmp_path.name}").account
    source = tmp_path / "crm.csv"
    source.write_bytes(_crm_export())
    printed = run_cli_here(
        "import", str(source), "--account", other.name, "--database", database_url, "--json"
    ).stdout
    report = json.loads(printed)
    assert (report["added"], report["invalid"], report["column"]) == (
        len(UNIQUE),
        0,
        "Téléphone",
    )
    with StopList(db, other).snapshot() as snapshot:
        assert sorted(n for batch in snapshot.batches for n in batch.numbers) == UNIQUE


def test_inbound_stop_from_a_national_sender(http, db, account):
    token = account.account.inbound_token
    for index, (national, e164) in enumerate(OVERSEAS):
        answer = http.post(
            f"/inbound/{token}/generic",
            json={"from": national, "text": "STOP", "id": f"overseas-{index}"},
        )
        assert answer.status_code == 200, (national, answer.text)
        assert StopList(db, account.account).find(e164) is not None
    assert _listed(http, account.api_key) == UNIQUE


def test_dashboard_search_and_add(server: Server, db, account):
    with dashboard_client(server, account.api_key) as (client, token):
        added = client.post(
            "/dashboard/numbers",
            data={"csrf_token": token, "number": "0639 01 23 45", "reason": "asked by phone"},
        )
        assert added.status_code == 303 and "%2B262639012345" in added.headers["location"]
        assert StopList(db, account.account).find("+262639012345") is not None
        for national, e164 in OVERSEAS:
            page = client.get("/dashboard/search", params={"number": national})
            assert page.status_code == 200, (national, page.text[:300])
            assert e164 in page.text
        refused = client.get("/dashboard/search", params={"number": "0712345678"})
        assert refused.status_code == 422
        assert "unknown prefix for the region" in refused.text
