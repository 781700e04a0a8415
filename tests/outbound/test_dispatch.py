"""The dispatcher in a real server: isolation between deliveries, refused destinations, crashes.

Each test runs servers of its own on a database of its own, so no other
server's dispatcher takes part.
"""

from __future__ import annotations

import os
import signal
from collections import Counter
from pathlib import Path

import httpx
import pytest

from stoplist.domain import clock
from stoplist.domain.accounts import Accounts, NewAccount
from stoplist.domain.stops import StopList
from stoplist.domain.webhook_urls import ALLOW_PRIVATE_ENV
from stoplist.domain.webhooks import Webhooks, generate_secret
from stoplist.outbound.dispatch import REFUSED_DESTINATION
from stoplist.storage import webhooks as store
from stoplist.storage.database import Database
from tests.support import Server, free_port
from tests.webhook_receiver import Answer, Receiver, verified, wait_for

FAST = {
    "STOPLIST_WEBHOOK_RETRY_SECONDS": "0.05",
    "STOPLIST_WEBHOOK_POLL_SECONDS": "0.2",
    "STOPLIST_WEBHOOK_LEASE_SECONDS": "2",
}
ALLOWED = {**FAST, ALLOW_PRIVATE_ENV: "1"}
STRICT = {**FAST, ALLOW_PRIVATE_ENV: ""}


@pytest.fixture
def allow_private(monkeypatch: pytest.MonkeyPatch) -> None:
    """Registration in this process may use the tests' loopback receivers."""
    monkeypatch.setenv(ALLOW_PRIVATE_ENV, "1")


def add_stops(server: Server, account: NewAccount, numbers: list[str]) -> None:
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        for number in numbers:
            answer = client.post(
                "/v1/stop-sms/add", json={"apiKey": account.api_key, "phoneNumber": number}
            )
            assert answer.status_code == 200, answer.text


def _queue_stops(db: Database, account: NewAccount, numbers: list[str]) -> None:
    """Add stops in this process, where no dispatcher runs: their deliveries wait, all due."""
    stops = StopList(db, account.account)
    for number in numbers:
        stops.add(number)


def statuses(db: Database, account: NewAccount) -> Counter[str]:
    return Counter(delivery.status for delivery, _ in Webhooks(db, account.account).deliveries())


def test_one_bad_url_does_not_hold_up_anyone_elses_deliveries(own_db, tmp_path, allow_private):
    accounts = Accounts(own_db)
    good = [accounts.create(f"good-{n}") for n in range(3)]
    bad = accounts.create("bad")
    with Receiver() as receiver:
        secrets = {
            account.account.id: Webhooks(own_db, account.account, allow_private=True)
            .add(receiver.url())
            .secret
            for account in good
        }
        # Stored as it was before URLs were checked at registration.
        with own_db.write() as conn:
            store.insert_endpoint(
                conn, bad.account.id, receiver.url() + "\r\nX-Injected: yes",
                generate_secret(), clock.now_us(),
            )  # fmt: skip
        # Queued while no dispatcher runs, so that one batch holds them all, bad ones between.
        for n, account in enumerate(good):
            _queue_stops(own_db, bad, [f"+3361234560{n}"])
            _queue_stops(own_db, account, [f"+3361234570{n}"])

        server = Server(own_db.url, tmp_path / "server.log", env=ALLOWED).start()
        try:
            wait_for(
                lambda: all(statuses(own_db, a) == {"delivered": 1} for a in good),
                "every good delivery recorded as delivered",
            )
            wait_for(
                lambda: all(d.attempts >= 2 for d, _ in Webhooks(own_db, bad.account).deliveries()),
                "the bad deliveries retried",
            )
        finally:
            server.stop()

    requests = receiver.requests()
    assert Counter(r.headers["webhook-id"] for r in requests).most_common(1)[0][1] == 1
    assert not any("X-Injected" in r.headers for r in requests)
    by_account = {event["account_id"]: event for r in requests for event in _events(r, secrets)}
    assert sorted(by_account) == sorted(secrets)
    for delivery, attempts in Webhooks(own_db, bad.account).deliveries():
        assert delivery.status == "pending"  # retried as usual
        assert delivery.last_error == "refused: the URL contains spaces or control characters"
        assert {attempt.error for attempt in attempts} == {delivery.last_error}


def _events(request, secrets: dict[int, str]) -> list[dict]:
    for secret in secrets.values():
        try:
            return verified([request], secret)
        except Exception:
            continue
    raise AssertionError("a request no account's secret verifies")


def test_a_trickling_receiver_holds_up_no_one_else(own_db, tmp_path, allow_private):
    """A receiver that answers a byte every 0.2 s, for as long as the test lasts.

    Another account's delivery, made while the trickle goes on, is delivered
    without waiting for it; the trickling attempt ends at its deadline, as a
    failed attempt retried as usual.
    """
    accounts = Accounts(own_db)
    slow, other = accounts.create("slow"), accounts.create("other")
    env = {**ALLOWED, "STOPLIST_WEBHOOK_LEASE_SECONDS": "8"}  # each attempt may take 4 s
    trickle = Answer(10**6, chunk=1, pause=0.2)
    with Receiver(status=200, answer=trickle) as trickling, Receiver() as receiver:
        Webhooks(own_db, slow.account, allow_private=True).add(trickling.url())
        Webhooks(own_db, other.account, allow_private=True).add(receiver.url())
        server = Server(own_db.url, tmp_path / "server.log", env=env).start()
        try:
            add_stops(server, slow, ["+33612345601"])
            wait_for(lambda: trickling.requests() != [], "the trickle under way")
            add_stops(server, other, ["+33612345602"])
            wait_for(lambda: statuses(own_db, other) == {"delivered": 1}, "the other delivery")
            assert _attempts(own_db, slow) == []  # the first attempt is still trickling
            wait_for(lambda: _attempts(own_db, slow) != [], "the trickling attempt given up")
        finally:
            server.stop()
    [first, *_] = _attempts(own_db, slow)
    assert (first.status_code, first.error) == (None, "timed out: no complete answer within 4 s")
    assert statuses(own_db, slow) == {"pending": 1}
    assert trickling.whole == 0


def _attempts(db: Database, account: NewAccount) -> list[store.AttemptRow]:
    [(_, attempts)] = Webhooks(db, account.account).deliveries()
    return attempts


def test_internal_destinations_are_refused_at_connection_time(own_db, tmp_path, monkeypatch):
    acme = Accounts(own_db).create("acme")
    hooks = Webhooks(own_db, acme.account, allow_private=True)
    with Receiver() as receiver:
        monkeypatch.setenv(ALLOW_PRIVATE_ENV, "1")  # registered while allowed...
        for url in (
            receiver.url(),
            receiver.url(host="localhost"),
            f"http://127.0.0.1:{free_port()}/closed",
        ):
            hooks.add(url)
        # ...then sent by a server that does not allow them.
        server = Server(own_db.url, tmp_path / "server.log", env=STRICT).start()
        try:
            add_stops(server, acme, ["+33612345678"])
            wait_for(
                lambda: all(d.attempts >= 2 for d, _ in hooks.deliveries()),
                "attempts at every endpoint",
            )
        finally:
            server.stop()
        assert receiver.requests() == []

        # The same endpoints, with the operator's permission: delivered.
        server = Server(own_db.url, tmp_path / "server.log", env=ALLOWED).start()
        try:
            wait_for(lambda: len(receiver.requests()) == 2, "delivery once allowed")
        finally:
            server.stop()
    delivered = [delivery for delivery, _ in hooks.deliveries() if delivery.status == "delivered"]
    assert len(delivered) == 2
    closed = [delivery for delivery, _ in hooks.deliveries() if delivery.status == "pending"]
    assert len(closed) == 1
    refusals = {
        attempt.error
        for _, attempts in hooks.deliveries()
        for attempt in attempts
        if attempt.status_code is None
    }
    assert REFUSED_DESTINATION in refusals


def test_a_worker_killed_during_delivery_loses_nothing(own_db, tmp_path, allow_private):
    """kill -9 of every worker while the receiver holds their requests unanswered.

    What a receiver sees is at-least-once delivery: each request that was in
    flight when its worker died comes again once its lease has run out, with
    the same ``webhook-id`` and body; it never comes more than twice, and
    every event comes.
    """
    acme = Accounts(own_db).create("acme")
    numbers = [f"+3361234567{n}" for n in range(8)]
    env = {**ALLOWED, "STOPLIST_WEBHOOK_LEASE_SECONDS": "8"}  # each attempt may take 4 s
    with Receiver() as receiver:
        secret = Webhooks(own_db, acme.account, allow_private=True).add(receiver.url()).secret
        _queue_stops(own_db, acme, numbers)
        receiver.hold.clear()
        server = Server(
            own_db.url, tmp_path / "server.log", extra_args=("--workers", "2"), env=env
        ).start()
        try:
            wait_for(lambda: receiver.waiting == len(numbers), "every delivery in flight")
            assert server.process is not None
            killed = _workers(server.process.pid)
            assert len(killed) == 2
            for pid in killed:
                os.kill(pid, signal.SIGKILL)
            receiver.hold.set()
            wait_for(
                lambda: len(set(_workers(server.process.pid)) - set(killed)) == 2,
                "the workers restarted",
            )
            server.wait_ready()
            wait_for(
                lambda: statuses(own_db, acme) == {"delivered": len(numbers)},
                "every delivery recorded after the restart",
            )
        finally:
            server.stop()

    requests = receiver.requests()
    events = verified(requests, secret)  # every request signed correctly
    assert sorted({event["phone_number"] for event in events}) == numbers
    sent = Counter(request.headers["webhook-id"] for request in requests)
    assert set(sent.values()) == {2}  # once before the kill, once after the lease
    bodies = {request.headers["webhook-id"]: set() for request in requests}
    for request in requests:
        bodies[request.headers["webhook-id"]].add(request.body)
    assert all(len(body) == 1 for body in bodies.values())
    for _delivery, attempts in Webhooks(own_db, acme.account).deliveries():
        assert len(attempts) == 1  # the attempt that died with its worker left no record
    stops = StopList(own_db, acme.account)
    assert all(stops.find(number) is not None for number in numbers)


def _workers(supervisor: int) -> list[int]:
    """The worker processes of a ``serve --workers N`` (not multiprocessing's helpers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == supervisor and b"spawn_main" in cmdline:
            found.append(int(entry.name))
    return found
