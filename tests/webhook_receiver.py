"""A real HTTP endpoint on a loopback address, for the tests of outgoing webhooks."""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int


class Receiver:
    """Answers every POST with ``status`` (and ``location``, for redirects).

    The first ``failures`` requests are answered 503 instead. With ``tls``,
    it speaks HTTPS, and keeps the server names clients ask for (SNI).

    While ``hold`` is cleared, requests are kept waiting, unanswered, until it
    is set again: a receiver that answers slowly, so a test can act while
    deliveries are in flight.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        status: int = 204,
        location: str | None = None,
        failures: int = 0,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.status = status
        self.failures = failures
        self.location = location
        self.received: list[Received] = []
        self.waiting = 0
        self.hold = threading.Event()
        self.hold.set()
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                with receiver.lock:
                    status = 503 if receiver.failures > 0 else receiver.status
                    receiver.failures = max(receiver.failures - 1, 0)
                    received = Received(self.path, dict(self.headers), body, status)
                    receiver.received.append(received)
                    receiver.waiting += 1
                receiver.hold.wait()
                with receiver.lock:
                    receiver.waiting -= 1
                self.send_response(status)
                if receiver.location:
                    self.send_header("location", receiver.location)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer((host, 0), Handler)
        self.httpd.daemon_threads = True
        self.server_names: list[str | None] = []
        self.scheme = "https" if tls else "http"
        if tls is not None:
            tls.sni_callback = lambda _sock, name, _ctx: self.server_names.append(name)
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    def url(self, path: str = "/hook", host: str | None = None) -> str:
        return f"{self.scheme}://{host or self.httpd.server_address[0]}:{self.port}{path}"

    def requests(self) -> list[Received]:
        with self.lock:
            return list(self.received)

    def accepted(self) -> list[Received]:
        return [request for request in self.requests() if 200 <= request.status < 300]

    def refused(self) -> int:
        return sum(1 for request in self.requests() if request.status == 503)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.hold.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def verified(requests: list[Received], secret: str) -> list[dict]:
    """Each request's event, checked with the standardwebhooks package (raises if forged)."""
    return [Webhook(secret).verify(request.body, request.headers) for request in requests]


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")
