"""Running behind a reverse proxy: forwarded headers, and the public URL of a request.

A proxy in front of stoplist talks to it from its own address, over plain
HTTP, often with its own ``Host``. What the client really used travels in
``X-Forwarded-For``/``-Proto``/``-Host`` or in ``Forwarded`` (RFC 7239);
those headers are believed only when the connection comes from one of
``STOPLIST_TRUSTED_PROXIES``, since anyone else could send them. Only the kind
the proxy sets (``STOPLIST_PROXY_HEADERS``) is read: a proxy passes the other
kind on as the client wrote it, so reading it would let any client choose
its own address (and escape the sign-in throttle), scheme and host. When
``STOPLIST_PUBLIC_URL`` is set it is the last word on scheme and host: it is
what the dashboard shows, what Twilio signatures and form origins are checked
against, whatever headers the proxy passes on.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_SCHEMES = {"http", "https"}
_DEFAULT_PORTS = {"http": "80", "https": "443"}
X_FORWARDED = "x-forwarded"
FORWARDED = "forwarded"
_SCHEME_FORWARDED = "stoplist.scheme_forwarded"
"""Scope key set when a trusted proxy said which scheme the client used."""


class TrustedProxies:
    """The addresses whose forwarded headers are believed."""

    def __init__(self, networks: Iterable[str]) -> None:
        self._networks: tuple[IPNetwork, ...] = tuple(
            ipaddress.ip_network(network, strict=False) for network in networks
        )
        self._trusts = lru_cache(maxsize=4096)(self._compute)

    def __bool__(self) -> bool:
        return bool(self._networks)

    def __contains__(self, address: str | None) -> bool:
        return address is not None and self._trusts(address)

    def _compute(self, address: str) -> bool:
        try:
            parsed = ipaddress.ip_address(address.strip("[]"))
        except ValueError:
            return False
        return any(parsed in network for network in self._networks)


class ForwardedHeaders:
    """Takes client address, scheme and host from a trusted proxy's headers."""

    def __init__(self, app: ASGIApp, trusted: TrustedProxies, kind: str = X_FORWARDED) -> None:
        self.app = app
        self.trusted = trusted
        self.rfc_7239 = kind == FORWARDED

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.trusted:
            client = scope.get("client")
            if client and client[0] in self.trusted:
                _apply(scope, self.trusted, rfc_7239=self.rfc_7239)
        await self.app(scope, receive, send)


def _apply(scope: Scope, trusted: TrustedProxies, *, rfc_7239: bool) -> None:
    headers: dict[bytes, list[str]] = {}
    for name, value in scope["headers"]:
        headers.setdefault(name, []).append(value.decode("latin-1"))
    if rfc_7239:
        written = headers.get(b"forwarded")
        hops = _parse_forwarded(", ".join(written)) if written else []
        chain = [hop.get("for", "") for hop in hops]
        proto = hops[-1].get("proto") if hops else None
        host = hops[-1].get("host") if hops else None
    else:
        chain = _split(headers.get(b"x-forwarded-for", []))
        proto = _last(headers.get(b"x-forwarded-proto", []))
        host = _last(headers.get(b"x-forwarded-host", []))
    client = _client(chain, trusted)
    if client is not None:
        scope["client"] = (client, 0)
    if proto and proto.lower() in _SCHEMES:
        scope["scheme"] = proto.lower()
        scope[_SCHEME_FORWARDED] = True
    if host and _plausible_host(host):
        kept = [(name, value) for name, value in scope["headers"] if name != b"host"]
        scope["headers"] = [(b"host", host.encode("latin-1")), *kept]


def _client(chain: list[str], trusted: TrustedProxies) -> str | None:
    """The nearest address that is not one of our proxies: the real client."""
    for address in reversed(chain):
        host = _strip_port(address)
        if host and host not in trusted:
            return host
    return (_strip_port(chain[0]) or None) if chain else None


def _parse_forwarded(value: str) -> list[dict[str, str]]:
    hops = []
    for element in value.split(","):
        pairs: dict[str, str] = {}
        for pair in element.split(";"):
            key, sep, raw = pair.partition("=")
            if sep:
                pairs[key.strip().lower()] = raw.strip().strip('"')
        hops.append(pairs)
    return hops


def _split(values: list[str]) -> list[str]:
    return [item.strip() for value in values for item in value.split(",") if item.strip()]


def _last(values: list[str]) -> str | None:
    items = _split(values)
    return items[-1] if items else None


def _strip_port(address: str) -> str:
    address = address.strip()
    if address.startswith("["):
        return address[1 : address.find("]")] if "]" in address else address
    if address.count(":") == 1:
        return address.split(":", 1)[0]
    return address


def _plausible_host(host: str) -> bool:
    return all(char.isalnum() or char in ".-:[]_" for char in host) and len(host) < 256


def public_base(request: Request) -> str:
    """``scheme://host[:port]`` clients reach this service at."""
    configured: str | None = request.app.state.settings.public_url
    return configured or f"{request.url.scheme}://{request.url.netloc}"


def public_url(request: Request) -> str:
    """The URL of this request as its sender saw it (what Twilio and Vonage sign)."""
    query = request.url.query
    return public_base(request) + request.url.path + (f"?{query}" if query else "")


def public_origin_is_https(request: Request) -> bool:
    """True when the public URL or (through a trusted proxy) the request says https."""
    return request.url.scheme == "https" or public_base(request).startswith("https://")


def known_scheme(request: Request) -> str | None:
    """The scheme the client used, when this server can know it; None when it cannot.

    A trusted proxy's ``X-Forwarded-Proto`` (or ``proto=``) says it, as a TLS
    connection does; failing those, the public URL says it for requests to
    its host (not for one to another name, such as ``localhost`` through an
    SSH tunnel). Otherwise a proxy that ends TLS and says nothing still hands
    over plain ``http`` whatever the browser used, so the ``http`` seen tells
    nothing.
    """
    if request.scope.get(_SCHEME_FORWARDED) or request.url.scheme == "https":
        return request.url.scheme
    configured: str | None = request.app.state.settings.public_url
    if configured is None:
        return None
    scheme, _, netloc = configured.partition("://")
    asked = request.headers.get("host", "")
    return scheme if normal_host(netloc, scheme) == normal_host(asked, scheme) else None


def normal_origin(origin: str) -> str:
    """``scheme://host[:port]`` as browsers write an origin (see ``normal_host``)."""
    scheme, sep, netloc = origin.strip().rstrip("/").partition("://")
    if not sep:
        return origin.strip().lower()
    scheme = scheme.lower()
    return f"{scheme}://{normal_host(netloc, scheme)}"


def normal_host(netloc: str, scheme: str) -> str:
    """``host[:port]`` reached over ``scheme``, in the one form origins are compared in.

    Lowercase, without the trailing dot of a fully qualified name, and without
    the scheme's default port: a browser sends ``Host: example.com`` and
    ``Origin: https://example.com`` for a site configured as
    ``https://Example.COM.:443``, and all of them name one origin.
    """
    text = netloc.strip().lower()
    if text.startswith("["):  # an IPv6 address, its port after the bracket
        end = text.find("]")
        name, port = (text, "") if end < 0 else (text[: end + 1], text[end + 2 :])
    elif text.count(":") == 1:
        name, _, port = text.partition(":")
    else:
        name, port = text, ""
    name = name.rstrip(".")
    if port == _DEFAULT_PORTS.get(scheme.lower()):
        port = ""
    return f"{name}:{port}" if port else name


def shows_loopback(request: Request) -> bool:
    """True when URLs built for this request would only work on this machine."""
    if request.app.state.settings.public_url:
        return False
    host = request.url.hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
