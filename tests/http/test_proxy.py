"""Forwarded headers: believed from trusted proxies only, and read the way proxies write them."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from stoplist.http.proxy import (
    FORWARDED,
    X_FORWARDED,
    ForwardedHeaders,
    TrustedProxies,
    normal_host,
    normal_origin,
)

TRUSTED = TrustedProxies(["127.0.0.1/32", "10.0.0.0/8", "::1/128"])


def _seen(
    client: str,
    headers: dict[str, str],
    trusted: TrustedProxies = TRUSTED,
    kind: str = X_FORWARDED,
) -> Any:
    """The scope the application gets for a request from ``client`` with ``headers``."""
    seen: dict[str, Any] = {}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.update(scope)

    scope = {
        "type": "http",
        "scheme": "http",
        "client": (client, 50000),
        "headers": [(b"host", b"127.0.0.1:8080")]
        + [(name.lower().encode(), value.encode()) for name, value in headers.items()],
    }
    # In a thread of its own: a browser test may have left this thread's loop running.
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, ForwardedHeaders(app, trusted, kind)(scope, None, None)).result()
    host = dict(seen["headers"])[b"host"].decode()
    return seen["client"][0], seen["scheme"], host


def test_headers_from_an_untrusted_client_are_ignored():
    headers = {
        "X-Forwarded-For": "203.0.113.7",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "evil.example",
        "Forwarded": "for=203.0.113.8;proto=https;host=evil.example",
    }
    assert _seen("192.0.2.50", headers) == ("192.0.2.50", "http", "127.0.0.1:8080")
    assert _seen("127.0.0.1", headers, TrustedProxies([])) == (
        "127.0.0.1",
        "http",
        "127.0.0.1:8080",
    )


def test_x_forwarded_headers_from_a_trusted_proxy():
    headers = {
        "X-Forwarded-For": "203.0.113.7",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "stoplist.example.com",
    }
    assert _seen("127.0.0.1", headers) == ("203.0.113.7", "https", "stoplist.example.com")


def test_the_client_is_the_nearest_address_that_is_not_a_proxy():
    # The client may write anything at the left; each proxy appends what it saw.
    chain = {"X-Forwarded-For": "198.51.100.1, 203.0.113.7, 10.1.2.3"}
    assert _seen("127.0.0.1", chain)[0] == "203.0.113.7"
    only_proxies = {"X-Forwarded-For": "10.0.0.9, 10.1.2.3"}
    assert _seen("127.0.0.1", only_proxies)[0] == "10.0.0.9"


def test_rfc_7239_forwarded_header():
    headers = {
        "Forwarded": 'for=198.51.100.1, for="[2001:db8::1]:4711";proto=https;host=a.example:8443'
    }
    assert _seen("::1", headers, kind=FORWARDED) == ("2001:db8::1", "https", "a.example:8443")
    nothing = _seen("::1", {}, kind=FORWARDED)
    assert nothing == ("::1", "http", "127.0.0.1:8080")


def test_only_the_kind_of_header_the_proxy_sets_is_read():
    """A proxy passes the other kind on as the client wrote it: nginx, setting the X-
    headers, forwards a client's own ``Forwarded``, which would choose its address."""
    spoofed = {
        "X-Forwarded-For": "203.0.113.7",
        "X-Forwarded-Proto": "https",
        "Forwarded": "for=198.51.0.1;proto=http;host=evil.example",
    }
    assert _seen("127.0.0.1", spoofed) == ("203.0.113.7", "https", "127.0.0.1:8080")
    spoofed = {"Forwarded": "for=203.0.113.7;proto=https", "X-Forwarded-For": "198.51.0.1"}
    assert _seen("127.0.0.1", spoofed, kind=FORWARDED)[:2] == ("203.0.113.7", "https")


def test_nonsense_scheme_and_host_are_not_taken():
    headers = {"X-Forwarded-Proto": "javascript", "X-Forwarded-Host": "a.example/<script>"}
    assert _seen("10.0.0.1", headers) == ("10.0.0.1", "http", "127.0.0.1:8080")


@pytest.mark.parametrize(
    ("netloc", "scheme", "normal"),
    [
        ("Example.COM", "https", "example.com"),
        ("example.com:443", "https", "example.com"),
        ("example.com.:443", "HTTPS", "example.com"),
        ("example.com:80", "http", "example.com"),
        ("example.com:80", "https", "example.com:80"),
        ("example.com:443", "http", "example.com:443"),
        ("example.com.:8443", "https", "example.com:8443"),
        ("[2001:DB8::1]:443", "https", "[2001:db8::1]"),
        ("[2001:db8::1]:8080", "http", "[2001:db8::1]:8080"),
        ("[2001:db8::1]", "http", "[2001:db8::1]"),
        ("", "https", ""),
    ],
)
def test_hosts_are_compared_as_browsers_name_origins(netloc, scheme, normal):
    assert normal_host(netloc, scheme) == normal


@pytest.mark.parametrize(
    ("origin", "normal"),
    [
        ("HTTPS://Example.com.:443/", "https://example.com"),
        ("http://example.com:80", "http://example.com"),
        ("http://example.com:443", "http://example.com:443"),
        ("null", "null"),
    ],
)
def test_origins_are_written_one_way(origin, normal):
    assert normal_origin(origin) == normal
