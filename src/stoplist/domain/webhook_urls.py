"""Which URLs an account may register as webhook endpoints, and which addresses they may reach.

A webhook URL is chosen by whoever holds an account's key, and stoplist then
sends requests to it from inside the operator's network. Left unchecked that
is a way in (SSRF): to the machine's own services (a webhook pointed at
``/v1/stop-sms/add`` once wrote into another account), to the cloud metadata
service, to anything on the private network. So a URL is refused at
registration when its host is an internal address or name, and the sender
(``stoplist.outbound.webhook_transport``) checks every address again after DNS
resolution, since a public-looking name can resolve inside. Operators whose
receivers live on their own network set ``STOPLIST_WEBHOOK_ALLOW_PRIVATE=1``.

The same rules serve the API, the command line and the dashboard: each calls
``check_url`` and shows the ``RefusedUrl`` it may raise.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import unicodedata

import httpx

from stoplist.domain.errors import InvalidParameter

ALLOW_PRIVATE_ENV = "STOPLIST_WEBHOOK_ALLOW_PRIVATE"
MAX_URL_LENGTH = 2000
_MAX_HOST_LENGTH = 253

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_INTERNAL_NAMES = frozenset(
    {
        "localhost",
        "ip6-localhost",
        "ip6-loopback",
        "metadata.google.internal",
        "instance-data",
    }
)
_INTERNAL_SUFFIXES = (".localhost", ".local", ".localdomain", ".internal", ".home.arpa", ".lan")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")
_NUMERIC_LABEL = re.compile(r"^(?:0x[0-9a-f]*|[0-9]+)$")
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})

URL_REFUSALS = (
    "scheme",
    "length",
    "characters",
    "syntax",
    "host",
    "port",
    "credentials",
    "private_address",
    "internal_name",
)


class RefusedUrl(InvalidParameter, ValueError):
    """A webhook URL stoplist will not send to; ``reason`` (one of ``URL_REFUSALS``) says why.

    Its message says why as well, in the reader's language, since this is
    the one parameter whose refusal people need to understand to fix it.
    """

    def __init__(self, reason: str) -> None:
        assert reason in URL_REFUSALS
        self.reason = reason
        super().__init__(reason)


def check_url(url: str, *, allow_private: bool = False) -> str:
    """The URL as it will be stored, or ``RefusedUrl`` saying what is wrong with it.

    Surrounding spaces (from copy and paste) are dropped; any other space or
    control character, anywhere, is refused: it is how a header gets injected.
    """
    url = url.strip(" ")
    if len(url) > MAX_URL_LENGTH:
        raise RefusedUrl("length")
    if any(unicodedata.category(char) in _REFUSED_CATEGORIES for char in url):
        raise RefusedUrl("characters")
    scheme, separator, _ = url.partition("://")
    if not separator or scheme.lower() not in ("http", "https"):
        raise RefusedUrl("scheme")
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError):
        raise RefusedUrl("syntax") from None
    if parsed.userinfo:
        raise RefusedUrl("credentials")
    if parsed.port is not None and not 1 <= parsed.port <= 65535:
        raise RefusedUrl("port")
    host = parsed.raw_host.decode("ascii", "replace").lower()
    address = host_address(host)
    if address is None and not _is_host_name(host):
        raise RefusedUrl("host")
    if allow_private:
        return url
    if address is not None and is_internal_address(address):
        raise RefusedUrl("private_address")
    if address is None and is_internal_name(host):
        raise RefusedUrl("internal_name")
    return url


def host_address(host: str) -> IPAddress | None:
    """The IP address a URL's host stands for, if it is one; ``RefusedUrl`` for a bad one.

    Besides dotted quads and IPv6 this reads the forms ``inet_aton`` (and so
    every resolver) accepts: ``2130706433``, ``0x7f.1``, ``0177.0.0.1``,
    ``127.1`` are all 127.0.0.1. A name whose last label is a number is read
    as such an address, as browsers do, never as a name.
    """
    host = host.strip("[]")
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host)
        except ValueError:
            raise RefusedUrl("host") from None
    labels = host.rstrip(".").split(".")
    if not labels or not _NUMERIC_LABEL.match(labels[-1]):
        return None
    if not all(_NUMERIC_LABEL.match(label) for label in labels):
        raise RefusedUrl("host")
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host.rstrip(".")))
    except OSError:
        raise RefusedUrl("host") from None


def is_internal_address(address: IPAddress) -> bool:
    """Loopback, private, link-local, site-local, multicast, unspecified, reserved or
    otherwise not global.

    IPv6 forms that carry an IPv4 address (mapped ``::ffff:a.b.c.d``, 6to4,
    NAT64) are judged by the address they carry. Site-local ``fec0::/10`` is
    deprecated but still routed inside some networks, and ``ipaddress``
    counts it as global, so it is asked about by name.
    """
    if isinstance(address, ipaddress.IPv6Address):
        if address.is_site_local:
            return True
        if address.ipv4_mapped is not None:
            return is_internal_address(address.ipv4_mapped)
        if address.sixtofour is not None and is_internal_address(address.sixtofour):
            return True
        if address in _NAT64:
            return is_internal_address(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_unspecified
        or address.is_reserved
        or not address.is_global
    )


def is_internal_name(host: str) -> bool:
    """Names that only mean something inside a network: one label, or a local domain."""
    name = host.rstrip(".").lower()
    return (
        "." not in name
        or name in _INTERNAL_NAMES
        or any(name.endswith(suffix) for suffix in _INTERNAL_SUFFIXES)
    )


def _is_host_name(host: str) -> bool:
    name = host[:-1] if host.endswith(".") else host
    return 0 < len(name) <= _MAX_HOST_LENGTH and all(_LABEL.match(x) for x in name.split("."))
