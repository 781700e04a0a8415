"""A form's origin must have the scheme the browser used, whenever the server knows it.

``https://host`` and ``http://host`` are two origins: a page on one posting to
the other is refused once a trusted proxy says which scheme the request came
over, or the public URL says it for its host. A proxy that passes on ``Host``
alone, trusted by no one, leaves the scheme unknown, and only the host is
compared (the documented ``proxy_set_header Host $host`` setup keeps working).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from stoplist.storage.database import Database
from tests.support import Server, started
from tests.web.conftest import csrf_token_of

PROXY = "127.0.0.2"
PUBLIC_HOST = "stoplist.example.com"


@dataclass
class Servers:
    public: Server  # STOPLIST_PUBLIC_URL=https://stoplist.example.com
    trusted: Server  # trusts the forwarded headers of PROXY


@pytest.fixture(scope="module")
def servers(
    database_url: str, db: Database, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Servers]:
    directory = tmp_path_factory.mktemp("origin-scheme")
    with started(
        Server(
            database_url,
            directory / "public.log",
            env={"STOPLIST_PUBLIC_URL": f"https://{PUBLIC_HOST}"},
        ),
        Server(database_url, directory / "trusted.log", env={"STOPLIST_TRUSTED_PROXIES": PROXY}),
    ) as (public, trusted):
        yield Servers(public, trusted)


def _sign_in(
    target: Server, api_key: str, origin: str, headers: dict[str, str], *, address: str = PROXY
) -> int:
    """The status of a key sign-in posted from a page on ``origin``, both requests with ``headers``.

    The cookie is sent by hand: made for https, it is ``Secure``, and a client
    speaking plain http to the server would keep it to itself.
    """
    transport = httpx.HTTPTransport(local_address=address)
    with httpx.Client(base_url=target.base_url, transport=transport, headers=headers) as client:
        form = client.get("/dashboard/login")
        cookie = form.headers["set-cookie"].split(";", 1)[0]
        client.cookies.clear()
        answer = client.post(
            "/dashboard/login",
            data={"csrf_token": csrf_token_of(form), "method": "key", "api_key": api_key},
            headers={"Origin": origin, "Cookie": cookie},
        )
    return answer.status_code


def test_the_public_url_s_scheme_is_required_of_a_form_on_its_host(servers, account):
    public, key = servers.public, account.api_key
    as_proxied = {"Host": PUBLIC_HOST}
    assert _sign_in(public, key, f"https://{PUBLIC_HOST}", as_proxied) == 303
    assert _sign_in(public, key, f"http://{PUBLIC_HOST}", as_proxied) == 403
    expected = f"origin mismatch: expected https://{PUBLIC_HOST} got http://{PUBLIC_HOST}"
    assert expected in public.logs(containing=expected)
    # Another name for the server (an SSH tunnel to localhost) is not the public URL's host.
    tunnel = f"localhost:{public.port}"
    assert _sign_in(public, key, f"http://{tunnel}", {"Host": tunnel}) == 303


def test_the_scheme_a_trusted_proxy_forwards_is_required_of_a_form(servers, account):
    trusted, key = servers.trusted, account.api_key

    def forwarded(proto: str) -> dict[str, str]:
        return {"X-Forwarded-Proto": proto, "X-Forwarded-Host": PUBLIC_HOST}

    assert _sign_in(trusted, key, f"https://{PUBLIC_HOST}", forwarded("https")) == 303
    assert _sign_in(trusted, key, f"http://{PUBLIC_HOST}", forwarded("https")) == 403
    assert _sign_in(trusted, key, f"https://{PUBLIC_HOST}", forwarded("http")) == 403
    assert _sign_in(trusted, key, f"http://{PUBLIC_HOST}", forwarded("http")) == 303
    # Without a scheme from the proxy, or from anyone else, it is unknown: the host is enough.
    host_only = {"Host": PUBLIC_HOST}
    assert _sign_in(trusted, key, f"https://{PUBLIC_HOST}", host_only) == 303
    spoofed = {"X-Forwarded-Proto": "http", "Host": PUBLIC_HOST}
    assert _sign_in(trusted, key, f"https://{PUBLIC_HOST}", spoofed, address="127.0.0.1") == 303


@pytest.fixture(scope="module")
def spelled_servers(
    database_url: str, db: Database, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Server, ...]]:
    """Servers whose public URL names ``PUBLIC_HOST`` with its default port, or its
    trailing dot: browsers send neither in ``Host`` or ``Origin``."""
    directory = tmp_path_factory.mktemp("origin-spellings")
    with started(
        *(
            Server(database_url, directory / f"{index}.log", env={"STOPLIST_PUBLIC_URL": url})
            for index, url in enumerate(
                (f"https://{PUBLIC_HOST}:443", f"https://{PUBLIC_HOST.upper()}.")
            )
        )
    ) as running:
        yield running


def test_the_public_url_s_host_is_its_host_however_it_is_spelled(spelled_servers, account):
    key = account.api_key
    for public in spelled_servers:
        for host in (PUBLIC_HOST, f"{PUBLIC_HOST}:443", f"{PUBLIC_HOST}."):
            as_proxied = {"Host": host}
            assert _sign_in(public, key, f"https://{PUBLIC_HOST}", as_proxied) == 303, host
            assert _sign_in(public, key, f"https://{PUBLIC_HOST}.:443", as_proxied) == 303, host
            assert _sign_in(public, key, f"http://{PUBLIC_HOST}", as_proxied) == 403, host
        # Another port is another host, not the public URL's: its scheme is not known.
        other = {"Host": f"{PUBLIC_HOST}:8443"}
        assert _sign_in(public, key, f"http://{PUBLIC_HOST}:8443", other) == 303
