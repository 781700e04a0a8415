"""A request's head is bounded like its body: a flood of headers is refused, not held."""

from __future__ import annotations

import contextlib
import socket

from stoplist.http.bounded_head import MAX_HEAD_BYTES
from tests.support import Server


def _exchange(server: Server, head: bytes, body: bytes = b"") -> bytes:
    """Send a raw request; everything answered until the server closes or goes quiet."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as conn:
        # Refused while still sending: the answer was written before the close.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            conn.sendall(head + body)
        answered = b""
        try:
            while chunk := conn.recv(65536):
                answered += chunk
        except (TimeoutError, ConnectionResetError):
            pass
        return answered


def test_a_head_past_the_bound_gets_431_and_the_connection_is_closed(server):
    filler = b"X-Filler: " + b"a" * 8000 + b"\r\n"
    flood = filler * (MAX_HEAD_BYTES // len(filler) + 2)
    answer = _exchange(server, b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + flood + b"\r\n")
    assert answer.startswith(b"HTTP/1.1 431 ")
    assert b"connection: close" in answer.lower()


def test_ordinary_heads_and_large_bodies_go_through(server):
    many = b"".join(b"X-H%d: %s\r\n" % (n, b"v" * 900) for n in range(100))  # 90 KB of headers
    answer = _exchange(
        server, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + many + b"\r\n"
    )
    assert answer.startswith(b"HTTP/1.1 200 ")
    # A body far larger than the head bound, sent in the same writes as its head.
    body = b"+33612345678\n" * (3 * MAX_HEAD_BYTES // 13)
    head = (
        b"POST /v1/stop-sms/import?apiKey=wrong HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body)
    )
    answer = _exchange(server, head, body)
    assert answer.startswith(b"HTTP/1.1 401 ")  # the body was read, then the key refused


def test_the_bound_starts_again_for_each_request_on_a_connection(server):
    one = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"p" * 60_000 + b"\r\n\r\n"
    count = MAX_HEAD_BYTES // len(one) + 3  # together past the bound, each far below it
    last = one.replace(b"Host: x\r\n", b"Host: x\r\nConnection: close\r\n")
    answer = _exchange(server, one * (count - 1) + last)
    assert answer.count(b"HTTP/1.1 200 ") == count
