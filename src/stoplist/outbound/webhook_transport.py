"""The HTTP transport webhook deliveries go through: it connects only where it is allowed to.

Checking a URL's host when it is registered is not enough: a name can
resolve to an internal address, now or later (DNS rebinding: a public
answer at the check, a private one at the connection). So every new
connection resolves the host itself, refuses if *any* answer is internal,
and then connects to the very address it checked, never to the name. TLS
still uses the name for SNI and certificate checks, and the connection pool
is still keyed by the name, so nothing else about the request changes.

httpx has no public hook for how connections are opened; httpcore, which it
is built on, does (a network backend), so ``GuardedTransport`` is httpx's own
transport with its connection pool given that backend.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable

import anyio
import httpcore
import httpx

from stoplist.domain.webhook_urls import IPAddress, is_internal_address

Resolver = Callable[[str, int], Awaitable[list[str]]]
AddressPolicy = Callable[[IPAddress], bool]


class RefusedDestination(Exception):
    """The host is, or resolves to, an address webhooks may not reach, or to none; nothing
    was sent.

    A name that does not resolve is refused alike: were the two told apart, an
    account could learn which names resolve inside the network by registering
    them and reading the deliveries' errors.
    """


async def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to for a TCP connection, in the resolver's order
    (none when it does not resolve)."""
    try:
        answers = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    addresses: list[str] = []
    for *_, sockaddr in answers:
        if sockaddr[0] not in addresses:
            addresses.append(str(sockaddr[0]))
    return addresses


def public_only(address: IPAddress) -> bool:
    return not is_internal_address(address)


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Opens TCP connections only to addresses ``allowed`` accepts, after resolving names."""

    def __init__(self, allowed: AddressPolicy = public_only, resolver: Resolver = resolve) -> None:
        self._allowed = allowed
        self._resolve = resolver
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            with anyio.fail_after(timeout):
                addresses = await self._checked_addresses(host, port)
        except TimeoutError:
            raise httpcore.ConnectTimeout("the host name did not resolve in time") from None
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def _checked_addresses(self, host: str, port: int) -> list[str]:
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            addresses = await self._resolve(host, port)
        else:
            addresses = [str(literal)]
        if not addresses:
            raise RefusedDestination(host)
        for address in addresses:
            if not self._allowed(ipaddress.ip_address(address.split("%", 1)[0])):
                raise RefusedDestination(host)
        return addresses

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise RefusedDestination(path)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport, connecting through a ``GuardedBackend``; no proxies, no retries.

    ``verify`` is the TLS context (the default trusts certifi's authorities).
    """

    def __init__(
        self, backend: GuardedBackend | None = None, verify: ssl.SSLContext | None = None
    ) -> None:
        super().__init__(trust_env=False)
        limits = httpx.Limits()
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=verify or httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=backend or GuardedBackend(),
        )


def transport(allow_private: bool) -> httpx.AsyncBaseTransport:
    """What the dispatcher sends with: guarded, unless the operator allows private receivers."""
    if allow_private:
        return httpx.AsyncHTTPTransport(trust_env=False)
    return GuardedTransport()


_MAX_ERROR = 200


def describe(exc: httpx.HTTPError) -> str:
    """A network error in one short printable line, without the request's body."""
    text = "".join(char for char in str(exc) if char.isprintable())
    described = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return described[:_MAX_ERROR]
