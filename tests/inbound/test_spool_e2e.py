"""A STOP that comes while its list is locked (an import writing a large file) through a real
server: answered at once, kept on disk, recorded once the list is free, even across a crash."""

from __future__ import annotations

import re

import httpx
import pytest

from stoplist.client import Client
from stoplist.domain.accounts import Accounts, NewAccount
from stoplist.domain.erasure import erase
from stoplist.domain.inbound import InboundMessage
from stoplist.domain.inbound_spool import InboundSpool
from stoplist.domain.stops import StopList
from stoplist.inbound.twilio import EMPTY_TWIML
from stoplist.storage.database import Database
from stoplist.storage.spool import Spool
from tests.support import Server, list_locked, started
from tests.webhook_receiver import wait_for

NUMBER = "+33612345678"


@pytest.fixture
def acme(own_db: Database) -> NewAccount:
    return Accounts(own_db).create("acme")


@pytest.fixture
def spool_env(tmp_path) -> dict[str, str]:
    return {
        "STOPLIST_INBOUND_LOCK_WAIT": "0.3",
        "STOPLIST_INBOUND_SPOOL_DIR": str(tmp_path / "spool"),
    }


def _send_stop(client: httpx.Client, acme: NewAccount, message_id: str) -> dict:
    answer = client.post(
        f"/inbound/{acme.account.inbound_token}/generic",
        json={"from": NUMBER, "text": "STOP", "id": message_id},
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def _stopped(client: httpx.Client, acme: NewAccount) -> bool:
    answer = client.get(
        "/v1/stop-sms/check", params={"apiKey": acme.api_key, "phoneNumber": NUMBER}
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["stopped"]


def _gauge(client: httpx.Client, name: str) -> float:
    found = re.search(rf"^{name} (\S+)$", client.get("/metrics").text, re.MULTILINE)
    assert found is not None, name
    return float(found.group(1))


def _check(client: httpx.Client, acme: NewAccount, number: str = NUMBER) -> dict:
    answer = client.get(
        "/v1/stop-sms/check", params={"apiKey": acme.api_key, "phoneNumber": number}
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def _filtered(client: httpx.Client, acme: NewAccount) -> list[dict]:
    body = {"apiKey": acme.api_key, "phoneNumbers": [NUMBER, "06 12 34 56 78", "+33611111111"]}
    answer = client.post("/v1/stop-sms/filter", json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]


def test_a_stop_that_meets_a_locked_list_is_answered_then_recorded(
    own_db, acme, spool_env, tmp_path
):
    """Stopped from its acknowledgement on, on the node that spooled it and on any other."""
    server = Server(own_db.url, tmp_path / "server.log", env=spool_env)
    # Another node: on PostgreSQL, one without a spool of its own; on SQLite, a worker
    # of the same machine, which shares the spool.
    other_env = spool_env if own_db.is_sqlite else {}
    other = Server(own_db.url, tmp_path / "other.log", env=other_env)
    held = {"phoneNumber": NUMBER, "stopped": True, "pending": True}
    with (
        started(server, other),
        httpx.Client(base_url=server.base_url, timeout=30) as client,
        httpx.Client(base_url=other.base_url, timeout=30) as elsewhere,
    ):
        with list_locked(own_db, acme.account.id):
            answer = _send_stop(client, acme, "m1")
            assert answer["status"] == "spooled"
            assert _gauge(client, "stoplist_inbound_spooled") == 1
            for node in (client, elsewhere):
                assert _check(node, acme) == {"success": True, "code": 200, **held}
                assert _check(node, acme, "0612345678")["stopped"] is True
                for fmt in ("json", "xml"):
                    with Client(f"{node.base_url}/v1", acme.api_key, format=fmt) as sdk:
                        checked = sdk.check("06 12 34 56 78")
                        [filtered] = sdk.filter([NUMBER]).items
                    # XML keeps no field names: ``pending`` is JSON's alone.
                    pending = fmt == "json"
                    assert (checked.stopped, checked.pending, checked.stop_id) == (
                        True, pending, None
                    )  # fmt: skip
                    assert (filtered.status, filtered.pending) == ("stopped", pending)
                assert _filtered(node, acme) == [
                    {"phoneNumber": NUMBER, "status": "stopped", "pending": True},
                    {"phoneNumber": NUMBER, "status": "stopped", "pending": True},
                    {"phoneNumber": "+33611111111", "status": "allowed"},
                ]
        wait_for(lambda: "stopId" in _check(client, acme), "the spooled STOP recorded")
        for node in (client, elsewhere):
            assert "pending" not in _check(node, acme)
            assert "pending" not in _filtered(node, acme)[0]
        assert _gauge(client, "stoplist_inbound_spooled") == 0
        assert 'verdict="spooled"' in client.get("/metrics").text
        # The provider delivers it again: the same message, recorded once.
        assert _send_stop(client, acme, "m1")["status"] == "duplicate"
    assert "spooled" in server.logs()


def test_a_spooled_stop_outlives_a_crash(own_db, acme, spool_env, tmp_path):
    log = tmp_path / "server.log"
    server = Server(own_db.url, log, env=spool_env).start()
    with list_locked(own_db, acme.account.id):
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            assert _send_stop(client, acme, "m1")["status"] == "spooled"
        assert server.process is not None
        server.process.kill()  # no clean shutdown, and the list still locked
        server.process.wait()
        server.stop()
    again = Server(own_db.url, log, env=spool_env).start()
    try:
        with httpx.Client(base_url=again.base_url, timeout=30) as client:
            wait_for(lambda: _stopped(client, acme), "the STOP recorded after the restart")
    finally:
        again.stop()


def test_twilio_gets_an_empty_answer_in_time_and_the_stop_lands(own_db, acme, spool_env, tmp_path):
    """Twilio waits 15 s for its answer and does not send the message again."""
    server = Server(own_db.url, tmp_path / "server.log", env=spool_env).start()
    try:
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            with list_locked(own_db, acme.account.id):
                answer = client.post(
                    f"/inbound/{acme.account.inbound_token}/twilio",
                    data={"From": NUMBER, "Body": "STOP", "MessageSid": "SM1"},
                )
                assert answer.status_code == 200, answer.text
                assert answer.headers["content-type"].startswith("text/xml")
                assert answer.text == EMPTY_TWIML  # no confirmation: nothing is recorded yet
            wait_for(lambda: _stopped(client, acme), "the spooled Twilio STOP recorded")
    finally:
        server.stop()


def test_the_server_removes_a_set_aside_message_whose_number_was_erased(
    own_db, acme, spool_env, tmp_path
):
    spool = InboundSpool(own_db, Spool(tmp_path / "spool"), lock_wait=0.2)
    with list_locked(own_db, acme.account.id):
        stop = InboundMessage(provider="generic", sender=NUMBER, text="STOP", message_id="m1")
        assert spool.receive(acme.account, stop).spooled
    [name] = spool.spool.names()
    spool.spool.set_aside(name)  # as if it could not be recorded
    erase(StopList(own_db, acme.account), NUMBER)

    server = Server(own_db.url, tmp_path / "server.log", env=spool_env).start()
    try:
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            wait_for(
                lambda: _gauge(client, "stoplist_inbound_spool_set_aside") == 0,
                "the erased number's set-aside message removed",
            )
    finally:
        server.stop()
    assert spool.spool.set_aside_count() == 0
    assert "its number was erased" in server.logs()
