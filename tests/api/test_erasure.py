"""Erasure through the real server: the number and its texts are gone, the STOP is not."""

from __future__ import annotations

import json
import random
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from xml.etree import ElementTree

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy import text as sql

from stoplist.domain import audit
from stoplist.domain.canonical import is_canonical
from stoplist.storage.schema import metadata
from tests.support import run_cli_here


def _number() -> str:
    """A valid French mobile number no other test uses."""
    while not is_canonical(number := f"+336{random.randrange(10**8):08d}"):
        pass
    return number


def _inbound(http, account, sender: str, text: str, message_id: str):
    path = f"/inbound/{account.account.inbound_token}/generic"
    answer = http.post(path, json={"from": sender, "text": text, "id": message_id})
    assert answer.status_code == 200, answer.text
    return answer.json()


def _erase(http, account, number: str, **more: str):
    return http.post(
        "/v1/stop-sms/erase", json={"apiKey": account.api_key, "phoneNumber": number, **more}
    )


def _rows_naming(db, account_id: int, needles: list[str]) -> list[tuple[str, tuple]]:
    """Every row of the account, in every table, whose text shows one of ``needles``."""
    found = []
    with db.read() as conn:
        for table in metadata.sorted_tables:
            if "account_id" not in table.c:
                continue
            for row in conn.execute(select(table).where(table.c.account_id == account_id)):
                shown = repr(tuple(row))
                if any(needle in shown for needle in needles):
                    found.append((table.name, tuple(row)))
    return found


def test_an_erased_number_is_gone_but_stays_stopped(http, account, db):
    key = {"apiKey": account.api_key}
    number = _number()
    national = "0" + number[3:]
    secret = f"Jean Dupont {uuid.uuid4().hex[:8]}"
    _inbound(http, account, number, f"bonjour c'est {secret}", "e-1")
    stopped = _inbound(http, account, number, "STOP", "e-2")
    assert stopped["type"] == "opt_out"
    listed = http.get("/v1/stop-sms/list", params=key).json()["data"]
    stop_id = next(entry["id"] for entry in listed if entry["phoneNumber"] == number)

    answer = _erase(http, account, national, actor="dpo@example.com", reason="GDPR request 12")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["success"] is True and body["phoneNumber"] == number
    assert body["stopId"] == stop_id and body["already"] is False

    # Nothing of the account names the number or holds what the person wrote.
    assert _rows_naming(db, account.account.id, [number[3:], secret]) == []
    assert number not in http.get("/v1/stop-sms/list", params=key).text
    exported = http.get("/v1/stop-sms/export", params={**key, "format": "csv"})
    assert exported.status_code == 200 and number not in exported.text

    # check, filter and add still know it, in any spelling.
    for spelling in (number, national):
        check = http.get("/v1/stop-sms/check", params={**key, "phoneNumber": spelling}).json()
        assert (check["stopped"], check["stopId"]) == (True, stop_id)
    other = _number()
    verdicts = http.post(
        "/v1/stop-sms/filter", json={**key, "phoneNumbers": [national, number, other]}
    ).json()
    assert [(item["status"], item.get("stopId")) for item in verdicts["data"]] == [
        ("stopped", stop_id),
        ("stopped", stop_id),
        ("allowed", None),
    ]
    added = http.post("/v1/stop-sms/add", json={**key, "phoneNumber": national})
    assert added.status_code == 409 and added.json()["stopId"] == stop_id

    # An import counts it as on the list already and does not write it back.
    imported = http.post(
        "/v1/stop-sms/import",
        params=key,
        content=f"{number}\n{other}\n".encode(),
        headers={"content-type": "text/csv"},
    ).json()
    assert (imported["added"], imported["alreadyStopped"]) == (1, 1)

    # The person writes STOP again: it is answered as a STOP, and nothing is written in clear.
    again = _inbound(http, account, number, "STOP", "e-3")
    assert again["type"] == "opt_out" and again["reply"] is None
    assert _rows_naming(db, account.account.id, [number[3:], secret]) == []

    # Its entry cannot be deleted: only the person can undo it.
    deleted = http.post("/v1/stop-sms/delete", json={**key, "id": stop_id})
    assert deleted.status_code == 409 and deleted.json()["code"] == 97
    assert http.get("/v1/stop-sms/check", params={**key, "phoneNumber": number}).json()["stopped"]

    # The history asked with the number still tells the story, without the texts.
    history = http.get("/v1/stop-sms/history", params={**key, "phoneNumber": number}).json()
    assert history["stopped"] is True and history["stopId"] == stop_id and history["erasedAt"]
    assert [(event["type"], event["text"]) for event in history["data"]] == [
        ("opt_out", None),
        ("erased", None),
        ("opt_out", None),
        ("reply", None),
    ]
    erased = history["data"][1]
    assert (erased["actor"], erased["reason"]) == ("dpo@example.com", "GDPR request 12")
    evidence = http.get("/v1/stop-sms/evidence", params={**key, "phoneNumber": number}).json()
    assert evidence["verified"] is True and evidence["erasedAt"] == history["erasedAt"]
    assert all(event["proof"]["contentVerified"] for event in evidence["data"])
    assert audit.verify(db, account.account).intact


def test_erasing_a_number_not_on_the_list_stops_it(http, account):
    key = {"apiKey": account.api_key}
    number = _number()
    body = _erase(http, account, number).json()
    assert body["success"] is True and body["already"] is False
    check = http.get("/v1/stop-sms/check", params={**key, "phoneNumber": number}).json()
    assert (check["stopped"], check["stopId"]) == (True, body["stopId"])
    history = http.get("/v1/stop-sms/history", params={**key, "phoneNumber": number}).json()
    assert [(event["type"], event["reason"], event["actor"]) for event in history["data"]] == [
        ("erased", None, "api"),
        ("opt_out", "stopped for erasure", "api"),
    ]


def test_erasing_twice_changes_nothing(http, account):
    number = _number()
    first = _erase(http, account, number).json()
    second = _erase(http, account, number).json()
    assert second["already"] is True
    assert (second["stopId"], second["eventId"], second["erasedAt"]) == (
        first["stopId"],
        first["eventId"],
        first["erasedAt"],
    )


def test_an_opt_in_from_the_person_lifts_the_erasure(http, account):
    key = {"apiKey": account.api_key}
    number = _number()
    _erase(http, account, number)
    started = _inbound(http, account, number, "START", "l-1")
    assert started["type"] == "opt_in"
    check = http.get("/v1/stop-sms/check", params={**key, "phoneNumber": number}).json()
    assert check["stopped"] is False
    # A later STOP is a new stop, listed with the number the person sent it from.
    _inbound(http, account, number, "STOP", "l-2")
    listed = http.get("/v1/stop-sms/list", params=key).json()["data"]
    assert [entry["phoneNumber"] for entry in listed] == [number]


def _import(http, account, numbers: list[str]) -> tuple[int, int, int]:
    """``(added, alreadyStopped, optedIn)`` of an import of ``numbers``, one a line."""
    answer = http.post(
        "/v1/stop-sms/import",
        params={"apiKey": account.api_key},
        content="".join(f"{number}\n" for number in numbers).encode(),
        headers={"content-type": "text/csv"},
    )
    assert answer.status_code == 200, answer.text
    report = answer.json()
    return report["added"], report["alreadyStopped"], report["optedIn"]


def _national(number: str) -> str:
    return "0" + number[3:]


def _check(http, account, number: str) -> dict:
    return http.get(
        "/v1/stop-sms/check", params={"apiKey": account.api_key, "phoneNumber": number}
    ).json()


def _kinds(events: list[dict]) -> list[str]:
    """The events' kinds, without the replies sent for them."""
    return [event["type"] for event in events if event["type"] != "reply"]


def test_an_import_after_a_lifted_erasure_does_not_stop_the_number_again(
    http, account, db, database_url, tmp_path
):
    """Once the person's START lifted the erasure, the number is one that opted in:
    an import counts it as such and leaves it off, exactly as a number never erased."""
    key = {"apiKey": account.api_key}
    lifted, plain, new = _number(), _number(), _number()
    _inbound(http, account, lifted, "STOP", "li-1")
    erased = _erase(http, account, lifted, actor="dpo").json()
    assert _inbound(http, account, lifted, "START", "li-2")["type"] == "opt_in"
    assert _inbound(http, account, lifted, "START", "li-2")["status"] == "duplicate"
    _inbound(http, account, plain, "STOP", "li-3")
    _inbound(http, account, plain, "START", "li-4")

    # The same file, but for the erasure: the same counts (a repeat is one already seen).
    assert _import(http, account, [plain, _national(plain)]) == (0, 1, 1)
    assert _import(http, account, [lifted, _national(lifted)]) == (0, 1, 1)
    assert _import(http, account, [new, lifted, plain]) == (1, 0, 2)
    source = tmp_path / "list.csv"
    source.write_text(f"phone\n{_national(lifted)}\n")
    args = ("--account", account.account.name, "--database", database_url, "--json")
    report = json.loads(run_cli_here("import", str(source), *args).stdout)
    assert (report["added"], report["alreadyStopped"], report["optedIn"]) == (0, 0, 1)

    check = _check(http, account, lifted)
    assert check["stopped"] is False
    verdicts = http.post("/v1/stop-sms/filter", json={**key, "phoneNumbers": [lifted]}).json()
    assert [item["status"] for item in verdicts["data"]] == ["allowed"]
    listed = http.get("/v1/stop-sms/list", params=key).json()["data"]
    assert [entry["phoneNumber"] for entry in listed] == [new]
    gone = http.post("/v1/stop-sms/delete", json={**key, "id": erased["stopId"]})
    assert gone.status_code == 404 and gone.json()["code"] == 4

    # Its history, asked with the number, still holds the whole story.
    history = http.get("/v1/stop-sms/history", params={**key, "phoneNumber": lifted}).json()
    assert history["stopped"] is False and "erasedAt" not in history
    assert _kinds(history["data"]) == ["opt_in", "erased", "opt_out"]
    evidence = http.get("/v1/stop-sms/evidence", params={**key, "phoneNumber": lifted}).json()
    assert evidence["verified"] is True and "erasedAt" not in evidence
    assert _kinds(evidence["data"]) == ["opt_out", "erased", "opt_in"]
    assert audit.verify(db, account.account).intact

    # The person stops again: a new entry, which an import finds on the list.
    _inbound(http, account, lifted, "STOP", "li-5")
    check = _check(http, account, lifted)
    assert check["stopped"] is True
    assert _import(http, account, [lifted, plain]) == (0, 1, 1)
    again = _check(http, account, lifted)
    assert again["stopId"] == check["stopId"]


@pytest.mark.parametrize("stopped_since", [False, True], ids=["opted-in", "stopped-since"])
def test_a_number_can_be_erased_again_after_the_lift(http, account, db, stopped_since):
    key = {"apiKey": account.api_key}
    number = _number()
    first = _erase(http, account, number).json()
    _inbound(http, account, number, "START", "re-1")
    if stopped_since:
        assert _inbound(http, account, number, "STOP", "re-2")["type"] == "opt_out"
        check = _check(http, account, number)
        assert check["stopped"] is True and check["stopId"] != first["stopId"]

    answer = _erase(http, account, number, actor="dpo", reason="second request")
    assert answer.status_code == 200, answer.text
    second = answer.json()
    assert second["already"] is False and second["eventId"] != first["eventId"]
    stop_id = second["stopId"]
    assert stop_id != first["stopId"]
    assert _rows_naming(db, account.account.id, [number[3:]]) == []

    for spelling in (number, _national(number)):
        check = _check(http, account, spelling)
        assert (check["stopped"], check["stopId"]) == (True, stop_id)
    verdicts = http.post("/v1/stop-sms/filter", json={**key, "phoneNumbers": [number]}).json()
    assert [(item["status"], item["stopId"]) for item in verdicts["data"]] == [("stopped", stop_id)]
    added = http.post("/v1/stop-sms/add", json={**key, "phoneNumber": number})
    assert added.status_code == 409 and added.json()["stopId"] == stop_id
    assert _import(http, account, [number]) == (0, 1, 0)
    deleted = http.post("/v1/stop-sms/delete", json={**key, "id": stop_id})
    assert deleted.status_code == 409 and deleted.json()["code"] == 97
    gone = http.post("/v1/stop-sms/delete", json={**key, "id": first["stopId"]})
    assert gone.status_code == 404 and gone.json()["code"] == 4

    third = _erase(http, account, number).json()
    assert third["already"] is True
    assert (third["eventId"], third["erasedAt"]) == (second["eventId"], second["erasedAt"])
    history = http.get("/v1/stop-sms/history", params={**key, "phoneNumber": number}).json()
    assert history["stopped"] is True and history["erasedAt"] == second["erasedAt"]
    assert _kinds(history["data"])[:3] == ["erased", "opt_out", "opt_in"]
    assert audit.verify(db, account.account).intact

    # The person's opt-in lifts the second erasure too.
    _inbound(http, account, number, "START", "re-3")
    check = _check(http, account, number)
    assert check["stopped"] is False
    assert _import(http, account, [number]) == (0, 0, 1)


def test_erase_answers_in_xml(http, account):
    number = _number()
    answer = http.post(
        "/v1/stop-sms/erase",
        params={"_format": "xml"},
        data={"apiKey": account.api_key, "phoneNumber": number},
    )
    assert answer.status_code == 200
    entries = list(ElementTree.fromstring(answer.content))
    assert [entry.text for entry in entries[:3]] == ["true", "200", number]
    assert entries[-1].text == "false"


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, 2),
        ({"phoneNumber": "12"}, 9),
        ({"phoneNumber": "+33612345678", "reason": "x" * 1001}, 91),
    ],
)
def test_erase_refuses_bad_input(http, account, params, code):
    answer = http.post("/v1/stop-sms/erase", json={"apiKey": account.api_key, **params})
    assert answer.status_code == 400 and answer.json()["code"] == code


def test_erase_is_scoped_to_the_account(http, account, other_account):
    number = _number()
    http.post("/v1/stop-sms/add", json={"apiKey": other_account.api_key, "phoneNumber": number})
    _erase(http, account, number)
    listed = http.get("/v1/stop-sms/list", params={"apiKey": other_account.api_key}).json()
    assert [entry["phoneNumber"] for entry in listed["data"]] == [number]


def test_a_long_list_forgets_an_erased_number_in_its_kept_copy_and_index(http, server, account):
    """Past 10,000 stops the list is kept as a copy and filtered from an index: an erasure
    names no number, so both are made again rather than patched."""
    key = {"apiKey": account.api_key}
    numbers = sorted({_number() for _ in range(10_050)})
    body = "\n".join(numbers).encode()
    http.post("/v1/stop-sms/import", params=key, content=body, headers={"content-type": "text/csv"})
    first = http.get("/v1/stop-sms/list", params=key, timeout=120)
    assert numbers[5] in first.text
    http.get("/v1/stop-sms/list", params={**key, "_format": "xml"}, timeout=120)
    family = f"list-{account.account.id}-"
    kept = [path for path in server.list_cache.iterdir() if path.name.startswith(family)]
    assert len(kept) >= 2 and any(numbers[5].encode() in path.read_bytes() for path in kept)
    http.post("/v1/stop-sms/filter", json={**key, "phoneNumbers": numbers[:10]})
    _erase(http, account, numbers[5])
    kept = [path for path in server.list_cache.iterdir() if path.name.startswith(family)]
    assert kept == []  # no copy left on disk names the number
    listed = http.get("/v1/stop-sms/list", params=key, timeout=120).json()
    assert listed["nbData"] == len(numbers) - 1
    assert numbers[5] not in {entry["phoneNumber"] for entry in listed["data"]}
    verdicts = http.post("/v1/stop-sms/filter", json={**key, "phoneNumbers": numbers[:10]}).json()
    assert [item["status"] for item in verdicts["data"]] == ["stopped"] * 10


def test_a_pending_possible_opt_out_is_closed_by_the_erasure(http, account):
    key = {"apiKey": account.api_key}
    number = _number()
    queued = _inbound(http, account, number, "please stop texting me", "r-1")
    assert queued["type"] == "review"
    erased = _erase(http, account, number, actor="dpo").json()
    items = http.get("/v1/review/list", params={**key, "status": "all"}).json()["data"]
    (item,) = items
    assert (item["status"], item["decidedBy"], item["decisionEventId"]) == (
        "confirmed",
        "dpo",
        erased["eventId"],
    )
    assert item["text"] == "" and number not in item["phoneNumber"]
    refused = http.post("/v1/review/confirm", json={**key, "id": item["id"]})
    assert refused.status_code == 409 and refused.json()["code"] == 96
    assert http.get("/v1/stop-sms/list", params=key).json()["data"] == []


def _parts(http, account, provider: str, number: str, texts: list[str], **more: str) -> dict:
    """A long message sent in ``len(texts)`` parts, the last part last."""
    ref = uuid.uuid4().hex[:6]
    base = {"msisdn": number.lstrip("+"), "concat": "true", "concat-ref": ref, **more}
    answer: dict = {}
    for place, text in enumerate(texts, start=1):
        part = {**base, "text": text, "concat-total": len(texts), "concat-part": place}
        if "messageId" in more:
            part["messageId"] = f"{more['messageId']}-{place}"
        response = http.post(f"/inbound/{account.account.inbound_token}/{provider}", data=part)
        assert response.status_code == 200, response.text
        answer = response.json()
    return answer


@pytest.mark.parametrize("provider", ["smspartner", "vonage"])
def test_a_long_message_from_an_erased_number_leaves_no_part_of_it(http, account, db, provider):
    """The parts of a long message wait in ``inbound_parts`` for the others: once the
    whole message of an erased number is recorded (without its text), they go too."""
    key = {"apiKey": account.api_key}
    number = _number()
    secret = f"Marie Curie {uuid.uuid4().hex[:8]}"
    _erase(http, account, number)
    _parts(http, account, provider, number, [f"bonjour c'est {secret}, ", "ne plus ecrire"])
    _parts(http, account, provider, number, ["STOP STOP ", secret], messageId="m")
    assert _rows_naming(db, account.account.id, [number[3:], secret]) == []
    check = http.get("/v1/stop-sms/check", params={**key, "phoneNumber": number}).json()
    assert check["stopped"] is True
    history = http.get("/v1/stop-sms/history", params={**key, "phoneNumber": number}).json()
    assert [event["text"] for event in history["data"]][:2] == [None, None]
    assert audit.verify(db, account.account).intact


def test_a_long_message_without_ids_does_not_keep_the_number_after_erasure(http, account, db):
    """Parts without a provider message id are recorded under an id of their own,
    which must not name the sender: the chain hashes it as it is, so an erasure
    cannot rewrite it."""
    number = _number()
    secret = f"Ada Lovelace {uuid.uuid4().hex[:8]}"
    _parts(http, account, "vonage", number, [f"bonjour c'est {secret}, ", "a bientot"])
    _erase(http, account, number)
    assert _rows_naming(db, account.account.id, [number[3:], secret]) == []
    assert audit.verify(db, account.account).intact


def _wait_for_lock_waiters(db, count: int) -> None:
    """Until ``count`` connections of this database wait for a lock (a hang guard only)."""
    query = sql(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with db.read() as conn:
            if conn.execute(query).scalar_one() >= count:
                return
        time.sleep(0.02)
    raise AssertionError(f"{count} lock waiters never came")


def test_a_delete_racing_an_erasure_does_not_lift_it(server, account, db):
    """A delete that read the entry before an erasure committed must not then record
    an opt-in for the number: that is the person's to give, and it would lift the erasure.
    (On SQLite writers are let in one at a time before they read: no such race.)"""
    if db.is_sqlite:
        pytest.skip("SQLite lets one writer in at a time, before it reads")
    key = {"apiKey": account.api_key}
    number = _number()
    with httpx.Client(base_url=server.base_url, timeout=60) as http:
        added = http.post("/v1/stop-sms/add", json={**key, "phoneNumber": number})
    stop_id = added.json()["stopId"]

    def erase() -> httpx.Response:
        with httpx.Client(base_url=server.base_url, timeout=60) as client:
            return _erase(client, account, number)

    def delete() -> httpx.Response:
        with httpx.Client(base_url=server.base_url, timeout=60) as client:
            return client.post("/v1/stop-sms/delete", json={**key, "id": stop_id})

    with ThreadPoolExecutor(2) as pool:
        with db.write() as conn:
            db.lock_list(conn, account.account.id)  # both wait behind this, the erasure first
            erasing = pool.submit(erase)
            _wait_for_lock_waiters(db, 1)
            deleting = pool.submit(delete)
            _wait_for_lock_waiters(db, 2)
        erased, deleted = erasing.result(), deleting.result()
    assert erased.status_code == 200, erased.text
    assert deleted.status_code == 409 and deleted.json()["code"] == 97, deleted.text
    with httpx.Client(base_url=server.base_url, timeout=60) as http:
        check = http.get("/v1/stop-sms/check", params={**key, "phoneNumber": number}).json()
    assert (check["stopped"], check["stopId"]) == (True, stop_id)
