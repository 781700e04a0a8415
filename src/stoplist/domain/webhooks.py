"""Outgoing events: telling an account's own systems about opt-outs and opt-ins.

Deliveries go through an outbox in the same database: ``enqueue`` writes one
row per endpoint in the very transaction that changes a number's state, so a
crash between commit and delivery loses nothing, and a state change that rolls
back sends nothing. A dispatcher (see ``stoplist.outbound.dispatch``) claims due rows
with a short lease (``locked_until``) so that several server processes never
send the same row at once, and retries failures with exponential backoff and
jitter for ``RETRY_WINDOW``. Delivery is therefore at least once: receivers
deduplicate on the ``webhook-id`` header, which stays the same across retries.

Requests are signed per the Standard Webhooks specification (``webhook-id``,
``webhook-timestamp``, ``webhook-signature``) with the endpoint's
``whsec_...`` secret, so any Standard Webhooks library can verify them.
"""

from __future__ import annotations

import base64
import builtins
import random
import secrets
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson
from sqlalchemy import Connection
from standardwebhooks import Webhook

from stoplist.domain import clock
from stoplist.domain.errors import EndpointNotFound
from stoplist.domain.webhook_urls import check_url
from stoplist.records.events import Event, EventKind
from stoplist.records.models import Account
from stoplist.storage import webhooks as store
from stoplist.storage.database import Database
from stoplist.storage.webhooks import AttemptRow, DeliveryRow, EndpointRow

SECRET_PREFIX = "whsec_"
_SECRET_BYTES = 32

DEFAULT_RETRY_BASE = 5.0
RETRY_CAP = 3600.0
RETRY_WINDOW = 72 * 3600 * clock.MICROS
"""How long a delivery is retried: past the 48 hours a receiver may be down."""
DEFAULT_LEASE = 60.0
"""How long a claimed delivery is held: a process that dies holding it delays it this long."""

DEFAULT_RETENTION_DAYS = 30.0
"""How long finished deliveries (and their attempts) are kept for ``/v1/webhooks/deliveries``."""
_PURGE_BATCH = 1000

SMS_PARTNER_TYPES = {EventKind.OPT_OUT: "stop", EventKind.OPT_IN: "start"}


@dataclass(frozen=True, slots=True)
class NewEndpoint:
    """A registered endpoint and its secret (the only time the secret is shown)."""

    endpoint: EndpointRow
    secret: str


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery this process holds until its lease ends."""

    delivery: DeliveryRow
    url: str
    secret: str


@dataclass(frozen=True, slots=True)
class AttemptResult:
    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def generate_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(_SECRET_BYTES)).decode()


class Webhooks:
    """One account's endpoints and the record of their deliveries."""

    def __init__(self, db: Database, account: Account, *, allow_private: bool = False) -> None:
        self.db = db
        self.account = account
        self.allow_private = allow_private
        """``STOPLIST_WEBHOOK_ALLOW_PRIVATE``: endpoints may be on internal addresses."""

    def add(self, url: str) -> NewEndpoint:
        """Register ``url``; ``RefusedUrl`` (see ``webhook_urls``) says why one cannot be."""
        secret = generate_secret()
        with self.db.write() as conn:
            endpoint = store.insert_endpoint(
                conn,
                self.account.id,
                check_url(url, allow_private=self.allow_private),
                secret,
                clock.now_us(),
            )
        return NewEndpoint(endpoint, secret)

    def list(self, *, include_disabled: bool = False) -> list[EndpointRow]:
        with self.db.read() as conn:
            return store.list_endpoints(conn, self.account.id, active_only=not include_disabled)

    def remove(self, endpoint_id: int) -> EndpointRow:
        """Stop sending to an endpoint; its pending deliveries are cancelled, history kept."""
        with self.db.write() as conn:
            endpoint = store.find_endpoint(conn, self.account.id, endpoint_id)
            if endpoint is None or endpoint.disabled_at is not None:
                raise EndpointNotFound(self.account.name, endpoint_id)
            store.disable_endpoint(conn, endpoint.id, clock.now_us())
        return endpoint

    def deliveries(
        self, *, status: str | None = None, endpoint_id: int | None = None, limit: int = 100
    ) -> builtins.list[tuple[DeliveryRow, builtins.list[AttemptRow]]]:
        with self.db.read() as conn:
            rows = store.list_deliveries(
                conn, self.account.id, status=status, endpoint_id=endpoint_id, limit=limit
            )
            attempts = store.attempts_of(conn, [row.id for row in rows])
        return [(row, attempts[row.id]) for row in rows]


def payload(account: Account, event: Event, stop_id: int | None = None) -> dict[str, object]:
    """The JSON body of an outgoing event.

    It starts with SMS Partner's own webhook fields (``type``, ``phone_number``,
    ``text``, ``message_id``), so receivers written for SMS Partner keep
    working, and adds what stoplist knows besides.
    """
    return {
        "type": SMS_PARTNER_TYPES[event.kind],
        "phone_number": event.phone_number,
        "text": event.text,
        "message_id": event.provider_message_id,
        "event_id": event.id,
        "event_type": event.kind.value,
        "event_at": _iso(event.event_at),
        "received_at": _iso(event.received_at),
        "source": event.source.value,
        "provider": event.provider,
        "stopped": event.kind is EventKind.OPT_OUT,
        "stop_id": stop_id,
        "account_id": account.id,
    }


def enqueue(
    conn: Connection,
    account: Account,
    events: Iterable[Event],
    *,
    stop_ids: Mapping[int, int] | None = None,
) -> int:
    """Queue ``events`` (opt-outs and opt-ins) for every active endpoint of ``account``.

    Call it inside the transaction that records the events; the deliveries
    commit or roll back with them. Returns the number of deliveries queued.
    """
    endpoints = store.list_endpoints(conn, account.id, active_only=True)
    if not endpoints:
        return 0
    now = clock.now_us()
    rows = []
    for event in events:
        if not event.kind.changes_state:
            continue
        body = orjson.dumps(payload(account, event, (stop_ids or {}).get(event.id))).decode()
        for endpoint in endpoints:
            rows.append(
                {
                    "account_id": account.id,
                    "endpoint_id": endpoint.id,
                    "event_id": event.id,
                    "message_id": f"msg_{secrets.token_hex(12)}",
                    "payload": body,
                    "status": store.PENDING,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
            )
    store.insert_deliveries(conn, rows)
    return len(rows)


def sign(secret: str, message_id: str, timestamp: int, body: str) -> dict[str, str]:
    """The Standard Webhooks headers for one attempt (``timestamp`` in seconds)."""
    moment = datetime.fromtimestamp(timestamp, tz=UTC)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": Webhook(secret).sign(message_id, moment, body),
    }


def retry_delay(
    attempts: int, base: float = DEFAULT_RETRY_BASE, rng: random.Random | None = None
) -> int:
    """Microseconds to wait after the ``attempts``-th failure: doubling, capped, jittered.

    "Equal jitter": half the delay is fixed and half random, so retries from a
    burst of failures spread out without ever coming back immediately.
    """
    delay = min(base * 2 ** max(attempts - 1, 0), RETRY_CAP)
    jitter = (rng or random).uniform(0, delay / 2)
    return int((delay / 2 + jitter) * clock.MICROS)


class Outbox:
    """Claiming due deliveries and recording what became of them.

    ``lease_seconds`` is how long a claim holds, ``retry_base`` the first
    retry delay in seconds, and ``retention_days`` how long finished
    deliveries are kept (None: for good).
    """

    def __init__(
        self,
        db: Database,
        *,
        lease_seconds: float = DEFAULT_LEASE,
        retry_base: float = DEFAULT_RETRY_BASE,
        retention_days: float | None = DEFAULT_RETENTION_DAYS,
    ) -> None:
        self.db = db
        self.lease = int(lease_seconds * clock.MICROS)
        self.retry_base = retry_base
        self.retention_days = retention_days

    def claim_due(self, limit: int = 50) -> list[Claimed]:
        """Claim up to ``limit`` due deliveries for this process.

        The idle case (nothing due) only reads, so polling never takes
        SQLite's write lock away from inbound requests.
        """
        now = clock.now_us()
        with self.db.read() as conn:
            candidates = store.due_ids(conn, now, limit)
        if not candidates:
            return []
        claimed: list[Claimed] = []
        with self.db.write() as conn:
            for delivery_id in candidates:
                if not store.claim(conn, delivery_id, now, now + self.lease):
                    continue
                delivery = store.find_delivery(conn, delivery_id)
                assert delivery is not None
                endpoint = store.find_endpoint(conn, delivery.account_id, delivery.endpoint_id)
                assert endpoint is not None
                claimed.append(Claimed(delivery, endpoint.url, endpoint.secret))
        return claimed

    def complete(self, outcomes: list[tuple[Claimed, AttemptResult]]) -> list[str]:
        """Record a batch of attempts in one transaction; returns each delivery's new status."""
        now = clock.now_us()
        statuses = []
        with self.db.write() as conn:
            for claimed, result in outcomes:
                delivery = claimed.delivery
                next_attempt_at = None
                if result.ok:
                    status = store.DELIVERED
                else:
                    next_attempt_at = now + retry_delay(delivery.attempts + 1, self.retry_base)
                    within = next_attempt_at <= delivery.created_at + RETRY_WINDOW
                    status = store.PENDING if within else store.FAILED
                store.finish_attempt(
                    conn,
                    delivery.id,
                    attempted_at=now,
                    status_code=result.status_code,
                    error=result.error,
                    duration_ms=result.duration_ms,
                    status=status,
                    next_attempt_at=next_attempt_at,
                )
                statuses.append(status)
        return statuses

    def purge(self, now: int | None = None) -> int:
        """Delete deliveries finished more than ``retention_days`` ago; returns how many.

        Each import of a million numbers queues a million deliveries per
        endpoint: kept for good, they would outgrow the stop list itself.
        Work is done a thousand at a time, each in its own short transaction.
        """
        days = self.retention_days
        if days is None:
            return 0
        before = (now if now is not None else clock.now_us()) - int(days * 86400 * clock.MICROS)
        total = 0
        while True:
            with self.db.write() as conn:
                purged = store.purge_finished(conn, before, _PURGE_BATCH)
            total += purged
            if purged < _PURGE_BATCH:
                return total

    def backlog(self) -> tuple[int, float]:
        """Pending deliveries, and the age in seconds of the oldest (0 when none)."""
        with self.db.read() as conn:
            count, oldest = store.pending_backlog(conn)
        age = (clock.now_us() - oldest) / clock.MICROS if oldest is not None else 0.0
        return count, max(age, 0.0)

    def make_due(self, account: Account | None = None) -> int:
        """Retry every pending delivery now instead of waiting for its backoff."""
        with self.db.write() as conn:
            return store.make_due(conn, account.id if account else None, clock.now_us())


_listeners: list[Callable[[], object]] = []
_listeners_lock = threading.Lock()


def on_enqueued(callback: Callable[[], object]) -> Callable[[], None]:
    """Call ``callback`` (from any thread) after deliveries are committed; returns an undo."""
    with _listeners_lock:
        _listeners.append(callback)

    def undo() -> None:
        with _listeners_lock:
            if callback in _listeners:
                _listeners.remove(callback)

    return undo


def wake() -> None:
    """Tell this process's dispatchers that new deliveries may be waiting."""
    with _listeners_lock:
        listeners = list(_listeners)
    for callback in listeners:
        callback()


def _iso(instant: int) -> str:
    return clock.from_us(instant).isoformat().replace("+00:00", "Z")
