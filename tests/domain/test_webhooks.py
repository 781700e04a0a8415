"""The rules of outgoing webhooks that need no server: URLs, signatures, backoff."""

from __future__ import annotations

import random
import time

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from stoplist.domain import clock
from stoplist.domain.accounts import Accounts
from stoplist.domain.stops import StopList
from stoplist.domain.webhooks import (
    RETRY_CAP,
    RETRY_WINDOW,
    AttemptResult,
    Outbox,
    Webhooks,
    check_url,
    generate_secret,
    retry_delay,
    sign,
)
from stoplist.storage.database import Database


def test_endpoint_urls_must_be_http():
    assert check_url(" https://example.com/hook ") == "https://example.com/hook"
    assert check_url("http://crm.example:9000/x") == "http://crm.example:9000/x"
    for bad in ("ftp://example.com", "example.com/hook", "https://", "http:///x"):
        with pytest.raises(ValueError):
            check_url(bad)


def test_signatures_verify_with_standardwebhooks():
    secret = generate_secret()
    assert secret.startswith("whsec_")
    body = '{"type":"stop","phone_number":"+33612345678"}'
    headers = sign(secret, "msg_1", int(time.time()), body)
    assert Webhook(secret).verify(body, headers) == {
        "type": "stop",
        "phone_number": "+33612345678",
    }
    with pytest.raises(WebhookVerificationError):
        Webhook(generate_secret()).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace("stop", "start"), headers)


def test_backoff_doubles_with_jitter_and_is_capped():
    rng = random.Random(7)
    for attempts in range(1, 8):
        delay = retry_delay(attempts, base=5.0, rng=rng) / clock.MICROS
        full = 5.0 * 2 ** (attempts - 1)
        assert full / 2 <= delay <= full
    assert retry_delay(40, base=5.0, rng=rng) <= RETRY_CAP * clock.MICROS
    delays = {retry_delay(3, base=5.0, rng=rng) for _ in range(20)}
    assert len(delays) > 1  # jittered


def test_retries_span_more_than_48_hours():
    rng = random.Random(1)
    elapsed = 0
    attempts = 0
    while elapsed + retry_delay(attempts + 1, rng=rng) <= RETRY_WINDOW:
        attempts += 1
        elapsed += retry_delay(attempts, rng=rng)
    assert elapsed >= 48 * 3600 * clock.MICROS


def test_an_endpoint_removed_during_an_attempt_stays_cancelled(fresh_database_url):
    _removed_during_attempt(fresh_database_url)


def _removed_during_attempt(url: str) -> None:
    # A database of its own: no running server's dispatcher may claim the delivery first.
    db = Database(url)
    try:
        db.migrate()
        account = Accounts(db).create("outbox").account
        hooks = Webhooks(db, account, allow_private=True)
        endpoint = hooks.add("https://crm.example/hook").endpoint
        StopList(db, account).add("0612345678")
        outbox = Outbox(db)
        [claimed] = outbox.claim_due()
        hooks.remove(endpoint.id)  # while the request is in flight
        outbox.complete(
            [(claimed, AttemptResult(status_code=None, error="refused", duration_ms=1))]
        )
        [(delivery, attempts)] = hooks.deliveries()
        assert delivery.status == "cancelled"
        assert len(attempts) == 1  # the attempt stays on record
    finally:
        db.dispose()


def test_finished_deliveries_are_removed_after_the_retention_period(fresh_database_url):
    _purged(fresh_database_url)


def _purged(url: str) -> None:
    db = Database(url)
    try:
        db.migrate()
        account = Accounts(db).create("purge").account
        hooks = Webhooks(db, account, allow_private=True)
        hooks.add("https://crm.example/hook")
        stops = StopList(db, account)
        outbox = Outbox(db)
        stops.add("0611111111")
        [claimed] = outbox.claim_due()
        outbox.complete([(claimed, AttemptResult(status_code=200, error=None, duration_ms=1))])
        stops.add("0622222222")  # still pending: never removed
        day = 86400 * clock.MICROS
        now = clock.now_us()

        assert outbox.purge(now + 29 * day) == 0
        assert Outbox(db, retention_days=None).purge(now + 400 * day) == 0  # kept for good
        assert outbox.purge(now + 31 * day) == 1
        assert [delivery.status for delivery, _ in hooks.deliveries()] == ["pending"]
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM webhook_attempts").scalar() == 0
    finally:
        db.dispose()
