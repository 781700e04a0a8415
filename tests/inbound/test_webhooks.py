"""Outgoing webhooks end to end: a real receiver, a real server, restarts.

These tests run a server of their own on a database of their own, so that no
other server's dispatcher (with its production backoff) takes part.
"""

from __future__ import annotations

import httpx
import orjson
import pytest

from stoplist.domain.accounts import Accounts, NewAccount
from stoplist.domain.webhook_urls import ALLOW_PRIVATE_ENV
from stoplist.domain.webhooks import Webhooks
from stoplist.storage.database import Database
from tests import support
from tests.support import (
    Server,
)
from tests.webhook_receiver import Receiver, wait_for
from tests.webhook_receiver import verified as verified_requests

FAST_RETRIES = {
    "STOPLIST_WEBHOOK_RETRY_SECONDS": "0.05",
    "STOPLIST_WEBHOOK_POLL_SECONDS": "0.2",
    "STOPLIST_WEBHOOK_LEASE_SECONDS": "2",
}


@pytest.fixture(autouse=True)
def _private_receivers(monkeypatch: pytest.MonkeyPatch) -> None:
    """The receivers here listen on 127.0.0.1: allowed, here and in the servers started."""
    monkeypatch.setenv(ALLOW_PRIVATE_ENV, "1")


def run_cli(*args: str) -> str:
    """The real command, run in this process; its standard output."""
    return support.run_cli_here(*args).stdout


@pytest.fixture
def acme(own_db: Database) -> NewAccount:
    return Accounts(own_db).create("acme")


def stop(client: httpx.Client, acme: NewAccount, number: str, message_id: str) -> None:
    answer = client.post(
        f"/inbound/{acme.account.inbound_token}/generic",
        json={"from": number, "text": "STOP", "id": message_id},
    )
    assert answer.status_code == 200, answer.text


def verified(receiver: Receiver, secret: str) -> dict[str, dict]:
    """Every accepted event, checked with the standardwebhooks package, by webhook-id."""
    accepted = receiver.accepted()
    events = verified_requests(accepted, secret)
    pairs = zip(accepted, events, strict=True)
    return {request.headers["webhook-id"]: event for request, event in pairs}


def test_events_arrive_signed_after_failed_attempts(own_db, acme, tmp_path):
    with Receiver(failures=4) as receiver:
        secret = Webhooks(own_db, acme.account, allow_private=True).add(receiver.url()).secret
        assert secret.startswith("whsec_")
        server = Server(own_db.url, tmp_path / "server.log", env=FAST_RETRIES).start()
        try:
            with httpx.Client(base_url=server.base_url, timeout=30) as client:
                stop(client, acme, "+33612345671", "m1")
                stop(client, acme, "+33612345672", "m2")
                stop(client, acme, "+33612345672", "m2")  # duplicate: no second event
                client.post(
                    f"/inbound/{acme.account.inbound_token}/generic",
                    json={"from": "+33612345673", "text": "Bus stop at 5?", "id": "m3"},
                )  # a reply: no event
                key = {"apiKey": acme.api_key}
                stop_id = client.post(
                    "/v1/stop-sms/add", json={**key, "phoneNumber": "0612345674"}
                ).json()["stopId"]
                client.post("/v1/stop-sms/delete", json={**key, "id": stop_id})
                wait_for(lambda: len(verified(receiver, secret)) == 4, "four deliveries")
                hooks = Webhooks(own_db, acme.account, allow_private=True)
                wait_for(
                    lambda: {d.status for d, _ in hooks.deliveries()} == {"delivered"},
                    "the deliveries recorded before the server stops",
                )
        finally:
            server.stop()

    events = sorted(verified(receiver, secret).values(), key=lambda e: e["event_id"])
    assert [(e["type"], e["phone_number"], e["source"]) for e in events] == [
        ("stop", "+33612345671", "sms"),
        ("stop", "+33612345672", "sms"),
        ("stop", "+33612345674", "api"),
        ("start", "+33612345674", "api"),
    ]
    first = events[0]
    assert list(first)[:4] == ["type", "phone_number", "text", "message_id"]
    assert (first["text"], first["message_id"], first["provider"]) == ("STOP", "m1", "generic")
    assert first["event_type"] == "opt_out"
    assert first["event_at"].endswith("Z")
    assert receiver.refused() == 4

    listed = run_cli("webhooks", "deliveries", "acme", "--database", own_db.url, "--json")
    deliveries = orjson.loads(listed)
    assert {d["status"] for d in deliveries} == {"delivered"}
    assert sum(d["attempts"] for d in deliveries) == 8
    assert sum(len(d["attemptLog"]) for d in deliveries) == 8
    assert {a["statusCode"] for d in deliveries for a in d["attemptLog"]} == {503, 204}


def test_a_crash_and_restart_lose_nothing(own_db, acme, tmp_path):
    log = tmp_path / "server.log"
    with Receiver(failures=10_000) as receiver:
        secret = Webhooks(own_db, acme.account, allow_private=True).add(receiver.url()).secret
        # First life: deliveries are committed and fail.
        server = Server(own_db.url, log, env=FAST_RETRIES).start()
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            stop(client, acme, "+33612345671", "c1")
            stop(client, acme, "+33612345672", "c2")
            wait_for(lambda: receiver.refused() >= 2, "failed attempts")
        assert server.process is not None
        server.process.kill()  # no clean shutdown
        server.process.wait()
        server.stop()
        # While no dispatcher runs, a state change is still queued durably.
        off = Server(own_db.url, log, env={"STOPLIST_WEBHOOK_DISPATCH": "0"}).start()
        with httpx.Client(base_url=off.base_url, timeout=30) as client:
            stop(client, acme, "+33612345673", "c3")
        off.stop()
        assert len(receiver.accepted()) == 0

        with receiver.lock:
            receiver.failures = 0
        again = Server(own_db.url, log, env=FAST_RETRIES).start()
        try:
            wait_for(lambda: len(verified(receiver, secret)) == 3, "every event after restart")
        finally:
            again.stop()

    numbers = sorted(e["phone_number"] for e in verified(receiver, secret).values())
    assert numbers == ["+33612345671", "+33612345672", "+33612345673"]


def test_cli_manages_endpoints_and_delivers_once(own_db, acme, tmp_path):
    url = own_db.url
    with Receiver() as receiver:
        added = orjson.loads(
            run_cli("webhooks", "add", "acme", receiver.url(), "--database", url, "--json")
        )
        secret = added["secret"]
        listed = run_cli("webhooks", "list", "acme", "--database", url, "--json")
        assert secret not in listed
        assert [e["url"] for e in orjson.loads(listed)] == [receiver.url()]

        server = Server(url, tmp_path / "s.log", env={"STOPLIST_WEBHOOK_DISPATCH": "0"}).start()
        try:
            with httpx.Client(base_url=server.base_url, timeout=30) as client:
                stop(client, acme, "+33612345671", "d1")
        finally:
            server.stop()
        assert receiver.accepted() == []
        # A process of its own, as operators run it (and as asyncio.run requires).
        support.run_cli("webhooks", "deliver", "--database", url)
        assert [e["phone_number"] for e in verified(receiver, secret).values()] == ["+33612345671"]

        run_cli("webhooks", "remove", "acme", str(added["endpointId"]), "--database", url)
        assert Webhooks(own_db, acme.account).list() == []
