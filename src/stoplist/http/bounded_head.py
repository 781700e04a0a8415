"""The HTTP protocol ``serve`` runs: uvicorn's, with a bound on a request's head.

A request's body is bounded as it streams (``STOPLIST_MAX_BODY_BYTES``), but
uvicorn's ``httptools`` protocol keeps every header line it is sent until the
head ends: one connection sending 180 MB of headers held 145 MB in a worker,
and the inbound webhooks must be reachable from the whole internet. So the
bytes received while a request's head is incomplete are counted, and past
``MAX_HEAD_BYTES`` the request is answered 431 and its connection closed.

The count is of what arrives before the head is complete, so a read that
brings the end of the head with the start of a large body counts that body
too: the bound is set far above any real head (a few KB; nginx's default
limit is 32 KB) so that such a read can never reach it.
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

MAX_HEAD_BYTES = 1 << 20
"""Bytes a request's line and headers may take, with whatever arrived beside them."""

TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-type: text/plain; charset=utf-8\r\n"
    b"content-length: 34\r\n"
    b"connection: close\r\n\r\n"
    b"Request header fields too large.\r\n"
)


class BoundedHeadProtocol(HttpToolsProtocol):
    """uvicorn's ``httptools`` protocol, refusing a request whose head grows past the bound."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_bytes: int | None = 0  # None while a body is read

    def data_received(self, data: bytes) -> None:
        if self._head_bytes is not None:
            self._head_bytes += len(data)
            if self._head_bytes > MAX_HEAD_BYTES:
                self._refuse()
                return
        super().data_received(data)

    def on_headers_complete(self) -> None:
        self._head_bytes = None
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._head_bytes = 0  # what comes next on this connection is the next request's head
        super().on_message_complete()

    def _refuse(self) -> None:
        self._head_bytes = None
        if not self.transport.is_closing():
            self.transport.write(TOO_LARGE)
            self.transport.close()
