"""``verify_webhook`` on events really sent by a running server, and on forgeries."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from standardwebhooks import Webhook

from stoplist.client import Client, InvalidWebhook, StoplistError, verify_webhook
from stoplist.domain.webhook_urls import ALLOW_PRIVATE_ENV
from stoplist.domain.webhooks import Webhooks

SECRET = "whsec_" + "c2VjcmV0LWtleS1mb3ItdGVzdHMtb25seS0xMjM0NTY="


@pytest.fixture(autouse=True)
def _private_receivers(monkeypatch: pytest.MonkeyPatch) -> None:
    """The receivers here listen on 127.0.0.1: allowed, as in the test server."""
    monkeypatch.setenv(ALLOW_PRIVATE_ENV, "1")


@contextmanager
def receiver() -> Iterator[tuple[str, queue.Queue[tuple[bytes, dict[str, str]]]]]:
    """A real endpoint on 127.0.0.1 that keeps each body and its headers."""
    received: queue.Queue[tuple[bytes, dict[str, str]]] = queue.Queue()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            received.put((body, dict(self.headers.items())))
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    finally:
        server.shutdown()
        server.server_close()


def test_verifies_an_event_sent_by_the_server(server, db, account):
    with receiver() as (url, received):
        secret = Webhooks(db, account.account, allow_private=True).add(url).secret
        with Client(f"{server.base_url}/v1", account.api_key) as client:
            stop_id = client.add("0612345678")
        body, headers = received.get(timeout=30)
    event = verify_webhook(body, headers, secret)
    assert event["type"] == "stop"
    assert event["phone_number"] == "+33612345678"
    assert event["stop_id"] == stop_id
    with pytest.raises(InvalidWebhook):
        verify_webhook(body.replace(b"+33612345678", b"+33612345679"), headers, secret)
    with pytest.raises(InvalidWebhook):
        verify_webhook(body, headers, SECRET)


def _signed(body: str, *, at: datetime | None = None) -> dict[str, str]:
    moment = at or datetime.now(UTC)
    return {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": Webhook(SECRET).sign("msg_1", moment, body),
    }


def test_accepts_a_good_signature_in_any_header_case():
    body = '{"type":"stop","phone_number":"+33612345678"}'
    headers = {name.title(): value for name, value in _signed(body).items()}
    assert verify_webhook(body.encode(), headers, SECRET)["type"] == "stop"


@pytest.mark.parametrize(
    "forge",
    [
        lambda body, headers: (body + " ", headers),
        lambda body, headers: (body, {**headers, "webhook-id": "msg_2"}),
        lambda body, headers: (body, {k: v for k, v in headers.items() if k != "webhook-id"}),
        lambda body, headers: (body, {**headers, "webhook-signature": "v1,bm9wZQ=="}),
        lambda body, headers: (body, {**headers, "webhook-signature": "garbage"}),
        lambda body, headers: (body, _signed(body, at=datetime.now(UTC) - timedelta(hours=1))),
    ],
    ids=["body", "id", "missing-header", "signature", "malformed", "replayed"],
)
def test_refuses_forgeries_and_replays(forge):
    body = '{"type":"stop"}'
    forged_body, forged_headers = forge(body, _signed(body))
    with pytest.raises(InvalidWebhook) as caught:
        verify_webhook(forged_body, forged_headers, SECRET)
    assert isinstance(caught.value, StoplistError)


def test_refuses_an_empty_secret():
    body = '{"type":"stop"}'
    with pytest.raises(InvalidWebhook):
        verify_webhook(body, _signed(body), "")
