"""A real HTTP proxy on 127.0.0.1 that breaks chosen requests to a real server.

Network failures cannot be asked of a healthy server, so this sits in front
of one and, per request, forwards it faithfully or fails it the way networks
do: the connection drops before the request is forwarded, after it was
processed (the answer is lost), or halfway through the answer's body.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal

import httpx

Fault = Literal["pass", "drop_before", "drop_after", "truncate"]
_FORWARDED_HEADERS = ("content-type", "authorization", "x-api-key", "accept-language")


class FaultyProxy:
    def __init__(self, upstream: str, *, only: str = "") -> None:
        self.upstream = upstream.rstrip("/")
        self.only = only
        self.faults: list[Fault] = []
        self.always: Fault | None = None
        self.seen: list[str] = []
        self._lock = threading.Lock()
        self._http = httpx.Client(timeout=30)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def requests_to(self, fragment: str) -> int:
        return sum(fragment in path for path in self.seen)

    def _next_fault(self, path: str) -> Fault:
        with self._lock:
            self.seen.append(path)
            if self.only not in path:
                return "pass"
            if self.faults:
                return self.faults.pop(0)
            return self.always or "pass"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                self._relay()

            def do_POST(self) -> None:
                self._relay()

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _relay(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                fault = proxy._next_fault(self.path)
                self.close_connection = fault != "pass"
                if fault == "drop_before":
                    return
                headers = {
                    name: value
                    for name, value in self.headers.items()
                    if name.lower() in _FORWARDED_HEADERS
                }
                answer = proxy._http.request(
                    self.command, proxy.upstream + self.path, headers=headers, content=body
                )
                if fault == "drop_after":
                    return
                content = answer.content
                self.send_response(answer.status_code)
                self.send_header("Content-Type", answer.headers.get("content-type", ""))
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                if fault == "truncate":
                    self.wfile.write(content[: max(1, len(content) // 2)])
                    self.wfile.flush()
                    return
                self.wfile.write(content)

        return Handler

    @contextmanager
    def running(self) -> Iterator[FaultyProxy]:
        thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()
            self._http.close()
            thread.join(timeout=10)
