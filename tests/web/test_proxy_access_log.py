"""docs/deploy.md's nginx logs, run through a real nginx: no key, token or number in them."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from tests.support import Server, free_port
from tests.web.nginx import NGINX, Nginx, Site

DEPLOY = (Path(__file__).parents[2] / "docs/deploy.md").read_text()


def _documented_log_format() -> str:
    blocks = re.findall(r"```nginx\n(.*?)```", DEPLOY, flags=re.DOTALL)
    found = [block for block in blocks if "log_format stoplist" in block]
    assert found, "docs/deploy.md no longer shows the stoplist log format"
    return found[0]


def _documented_error_log_level() -> str:
    found = re.search(r"^\s*error_log\s+\S+\s+(\w+);", DEPLOY, flags=re.MULTILINE)
    assert found, "docs/deploy.md no longer sets the site's error log level"
    return found.group(1)


def test_the_documented_access_log_keeps_keys_tokens_and_numbers_out(
    server: Server, account, tmp_path
):
    if NGINX is None:
        pytest.skip("nginx is not installed (apt-get install nginx)")
    log = tmp_path / "stoplist.access.log"
    site = Site(free_port(), server.port, f"access_log {log} stoplist;")
    nginx = Nginx(tmp_path / "nginx", [site], http=_documented_log_format()).start()
    token = account.account.inbound_token
    try:
        with httpx.Client(base_url=site.url) as http:
            key = {"apiKey": account.api_key}
            assert http.get("/v1/stop-sms/check", params={**key, "phoneNumber": "0612345678"})
            answer = http.post(f"/inbound/{token}/generic", json={"from": "+33611111111"})
            assert answer.status_code < 500
    finally:
        nginx.stop()
    lines = log.read_text().splitlines()
    assert len(lines) == 2, lines
    assert '"GET /v1/stop-sms/check"' in lines[0] and '"POST /inbound/-/generic"' in lines[1]
    for secret in (account.api_key, token, "0612345678", "612345678"):
        assert secret not in log.read_text()


def test_the_documented_error_log_keeps_them_out_while_stoplist_is_down(tmp_path):
    """A request that meets the upstream down is logged at ``error`` with its request line."""
    if NGINX is None:
        pytest.skip("nginx is not installed (apt-get install nginx)")
    down = free_port()  # nothing listens: stoplist restarting
    documented, usual = tmp_path / "documented.log", tmp_path / "usual.log"
    sites = [
        Site(free_port(), down, f"error_log {documented} {_documented_error_log_level()};"),
        Site(free_port(), down, f"error_log {usual} error;"),
    ]
    nginx = Nginx(tmp_path / "nginx", sites).start()
    try:
        for site in sites:
            with httpx.Client(base_url=site.url) as http:
                query = {"apiKey": "key-of-the-request", "phoneNumber": "0612345678"}
                assert http.get("/v1/stop-sms/check", params=query).status_code == 502
                assert http.post("/inbound/token-of-the-url/generic").status_code == 502
    finally:
        nginx.stop()
    assert "key-of-the-request" in usual.read_text()  # what the documented level avoids
    written = documented.read_text() if documented.exists() else ""
    for secret in ("key-of-the-request", "token-of-the-url", "612345678"):
        assert secret not in written
