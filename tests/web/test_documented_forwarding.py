"""The forwarding headers docs/deploy.md and docs/reverse-proxy.md show, run through a real nginx.

Both trust ``STOPLIST_TRUSTED_PROXIES=127.0.0.1`` with nginx on the same
machine, so a client on that machine connects from a trusted address. Were
its own ``X-Forwarded-For`` passed on, its words would be its address: any
address it likes in the log, and a new one for each wrong password.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from stoplist.domain.accounts import Accounts
from stoplist.domain.dashboard_throttle import ADDRESS_LIMIT
from tests.support import Server, free_port, run_cli_here
from tests.web.conftest import sign_in_http
from tests.web.nginx import NGINX, Nginx, Site

DOCS = Path(__file__).parents[2] / "docs"
PASSWORD = "staff password 2024"


def _documented_forwarding(doc: str) -> str:
    """The ``proxy_set_header`` lines of the doc's nginx block that forwards the client."""
    blocks = re.findall(r"```nginx\n(.*?)```", (DOCS / doc).read_text(), flags=re.DOTALL)
    found = [block for block in blocks if "X-Forwarded-For" in block]
    assert found, f"{doc} no longer shows nginx forwarding X-Forwarded-For"
    headers = re.findall(r"^\s*(proxy_set_header\s[^\n]*;)", found[0], flags=re.MULTILINE)
    return "\n".join(headers)


@pytest.mark.parametrize("doc", ["deploy.md", "reverse-proxy.md"])
def test_a_client_cannot_choose_its_address_through_the_documented_nginx(own_db, tmp_path, doc):
    if NGINX is None:
        pytest.skip("nginx is not installed (apt-get install nginx)")
    name = Accounts(own_db).create("forwarded").account.name
    run_cli_here("dashboard", "set-password", name, "--database", own_db.url, input=PASSWORD + "\n")
    server = Server(
        own_db.url, tmp_path / "server.log", env={"STOPLIST_TRUSTED_PROXIES": "127.0.0.1"}
    ).start()
    site = Site(free_port(), server.port, _documented_forwarding(doc))
    nginx = Nginx(tmp_path / "nginx", [site]).start()
    try:
        with httpx.Client(base_url=site.url, headers={"Accept-Language": "en"}) as client:
            forged = {"X-Forwarded-For": "203.0.113.9"}
            assert client.get("/healthz", params={"probe": "xff"}, headers=forged).is_success
            for guess in range(ADDRESS_LIMIT):
                client.headers["X-Forwarded-For"] = f"198.51.100.{guess}"
                wrong = sign_in_http(client, method="password", account=name, password="no")
                assert wrong.status_code == 401
            client.headers["X-Forwarded-For"] = "198.51.100.200"
            paused = sign_in_http(client, method="password", account=name, password=PASSWORD)
    finally:
        nginx.stop()
        server.stop()
    assert paused.status_code == 429, "a new forged address for each guess was not paused"
    line = next(line for line in server.logs().splitlines() if "probe=xff" in line)
    assert "203.0.113.9" not in line and "127.0.0.1" in line
