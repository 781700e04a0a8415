"""A local stand-in for SMS Partner's ``POST /v1/send``, a real HTTP server on loopback.

It answers as SMS Partner does (``{"success": true, "code": 200,
"message_id": N}``) and can be told to misbehave for its next requests:
``fail(n, status)`` answers HTTP ``status``, ``stall(n)`` keeps them waiting
past the client's timeout, ``refuse(n, code)`` answers 200 with
``{"success": false, "code": code}``, as SMS Partner does for a bad key.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Sent:
    path: str
    content_type: str
    body: dict
    answered: str
    """``ok``, ``http 500``, ``stalled`` or ``refused``: what the stand-in did."""


class SmsPartnerStandIn:
    def __init__(self, stall_seconds: float = 3.0) -> None:
        self.stall_seconds = stall_seconds
        self.received: list[Sent] = []
        self.lock = threading.Lock()
        self._plan: deque[tuple[str, int]] = deque()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                with stand_in.lock:
                    what, value = stand_in._plan.popleft() if stand_in._plan else ("ok", 0)
                    stand_in.received.append(
                        Sent(
                            self.path,
                            self.headers.get("content-type", ""),
                            json.loads(raw),
                            what if what in ("ok", "stall") else f"{what} {value}",
                        )
                    )
                    message_id = len(stand_in.received)
                if what == "stall":
                    time.sleep(stand_in.stall_seconds)
                if what == "fail":
                    self._answer(value, {"success": False, "code": 500})
                elif what == "refuse":
                    self._answer(200, {"success": False, "code": value, "message": "refused"})
                else:
                    self._answer(200, {"success": True, "code": 200, "message_id": message_id})

            def _answer(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (a stalled answer)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def fail(self, times: int, status: int = 500) -> None:
        with self.lock:
            self._plan.extend([("fail", status)] * times)

    def stall(self, times: int) -> None:
        with self.lock:
            self._plan.extend([("stall", 0)] * times)

    def refuse(self, times: int, code: int = 10) -> None:
        with self.lock:
            self._plan.extend([("refuse", code)] * times)

    def sent(self, to: str | None = None) -> list[Sent]:
        with self.lock:
            return [s for s in self.received if to is None or s.body.get("phoneNumbers") == to]

    def __enter__(self) -> SmsPartnerStandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
