"""A real HTTP endpoint on a loopback address, for the tests of outgoing webhooks."""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import BinaryIO

from standardwebhooks import Webhook


@dataclass(frozen=True)
class Answer:
    """A body a receiver answers with: ``size`` zero bytes, in writes of ``chunk``,
    ``pause`` seconds apart, under ``headers`` (a ``content-encoding``, say)."""

    size: int
    chunk: int = 64 * 1024
    pause: float = 0.0
    headers: tuple[tuple[str, str], ...] = ()


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

    With ``answer``, each response has that body (a large one, or one that
    trickles); ``whole`` counts the bodies sent to their end, ``cut_off``
    those the client hung up on first. A trickle stops when the receiver does.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        status: int = 204,
        location: str | None = None,
        failures: int = 0,
        tls: ssl.SSLContext | None = None,
        answer: Answer | None = None,
    ) -> None:
        self.status = status
        self.answer = answer
        self.whole = 0
        self.cut_off = 0
        self.closing = threading.Event()
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
                answer = receiver.answer
                for name, value in answer.headers if answer else ():
                    self.send_header(name, value)
                self.send_header("content-length", str(answer.size if answer else 0))
                self.end_headers()
                if answer:
                    receiver.send_answer(self.wfile, answer)

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

    def send_answer(self, out: BinaryIO, answer: Answer) -> None:
        """Send ``answer``'s body, noting whether it went whole or the client hung up first."""
        try:
            sent = self._write(out, answer)
        except OSError:
            with self.lock:
                self.cut_off += 1
            return
        if sent:
            with self.lock:
                self.whole += 1

    def _write(self, out: BinaryIO, answer: Answer) -> bool:
        """Whether the whole body went, rather than the receiver stopping first."""
        block = bytes(answer.chunk)
        left = answer.size
        while left > 0:
            if self.closing.is_set():
                return False
            out.write(block[:left])
            left -= len(block[:left])
            if answer.pause:
                self.closing.wait(answer.pause)
        return True

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
        self.closing.set()
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
