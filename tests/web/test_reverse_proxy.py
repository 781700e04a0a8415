"""The dashboard and inbound webhooks behind a real nginx, and forwarded headers.

Three nginx sites: ``proxy_pass`` alone in front of a server that knows its
public URL, ``proxy_pass`` alone in front of one that does not (the shared
test server), and a proxy forwarding ``X-Forwarded-*`` from 127.0.0.2 to a
server that trusts only that address. Clients on 127.0.0.1 are therefore
untrusted clients of the same server.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page
from twilio.request_validator import RequestValidator

from stoplist.domain.inbound_endpoints import InboundEndpoints
from tests.support import Server, free_port
from tests.web.conftest import sign_in_with_key
from tests.web.nginx import NGINX, Nginx, Site

PROXY = "127.0.0.2"
FORWARDING = f"""
            proxy_bind {PROXY};
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $http_host;"""
PUBLIC_HTTPS = "https://stoplist.example.com"


@dataclass
class Proxied:
    public: Server  # knows its public URL, which is the ``bare`` site
    trusted: Server  # trusts forwarded headers from PROXY only
    shared: Server  # no public URL, trusts nobody
    bare: Site
    forwarding: Site
    bare_unconfigured: Site


@pytest.fixture(scope="module")
def proxied(
    server: Server, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Proxied]:
    if NGINX is None:
        pytest.skip("nginx is not installed (apt-get install nginx)")
    directory = tmp_path_factory.mktemp("proxied")
    bare_port = free_port()
    public = Server(
        database_url, directory / "public.log", env={"STOPLIST_PUBLIC_URL": _url(bare_port)}
    ).start()
    trusted = Server(
        database_url, directory / "trusted.log", env={"STOPLIST_TRUSTED_PROXIES": PROXY}
    ).start()
    sites = Proxied(
        public,
        trusted,
        server,
        Site(bare_port, public.port),
        Site(free_port(), trusted.port, FORWARDING),
        Site(free_port(), server.port),
    )
    nginx = Nginx(directory / "nginx", [sites.bare, sites.forwarding, sites.bare_unconfigured])
    nginx.start()
    yield sites
    nginx.stop()
    public.stop()
    trusted.stop()


@pytest.fixture
def https_public(database_url: str, tmp_path: Path) -> Iterator[Server]:
    running = Server(
        database_url, tmp_path / "https.log", env={"STOPLIST_PUBLIC_URL": PUBLIC_HTTPS}
    ).start()
    yield running
    running.stop()


def _url(port: int) -> str:
    return f"http://127.0.0.1:{port}"


def _page(browser: Browser, base_url: str) -> Page:
    context = browser.new_context(base_url=base_url, locale="en-GB")
    context.set_default_timeout(15_000)
    return context.new_page()


def _session_cookie(answer: httpx.Response) -> str:
    [cookie] = [c for c in answer.headers.get_list("set-cookie") if "stoplist_session=" in c]
    return cookie


def _is_secure(cookie: str) -> bool:
    return any(part.strip().lower() == "secure" for part in cookie.split(";"))


def test_proxy_pass_alone_signs_in_once_the_public_url_is_set(browser, proxied, account):
    twilio, warned = _sign_in_and_read_settings(browser, proxied.bare.url, account.api_key)
    assert twilio == f"{proxied.bare.url}/inbound/{account.account.inbound_token}/twilio"
    assert not warned


def _sign_in_and_read_settings(browser: Browser, base_url: str, api_key: str) -> tuple[str, bool]:
    """Sign in through ``base_url``; the Twilio URL shown, and whether the loopback warning is."""
    page = _page(browser, base_url)
    try:
        sign_in_with_key(page, api_key)
        page.goto("/dashboard/settings")
        twilio = page.locator("#inbound-twilio").input_value()
        return twilio, page.locator("#inbound-loopback").is_visible()
    finally:
        page.context.close()


def test_proxy_pass_alone_without_public_url_refuses_and_logs_why(browser, proxied, account):
    page = _page(browser, proxied.bare_unconfigured.url)
    try:
        page.goto("/dashboard/")
        page.get_by_label("API key").fill(account.api_key)
        page.locator("form:has(#api_key)").get_by_role("button", name="Sign in").click()
        page.get_by_text("This form has expired or did not come from this site").wait_for()
    finally:
        page.context.close()
    expected = (
        f"origin mismatch: expected {proxied.shared.base_url} got {proxied.bare_unconfigured.url}"
    )
    log = proxied.shared.logs(containing=expected)
    assert expected in log
    [line] = [line for line in log.splitlines() if expected in line]
    assert "WARNING" in line and "/dashboard/login" in line
    assert account.api_key not in log


def test_forwarded_headers_from_a_trusted_proxy_sign_in(browser, proxied, account):
    twilio, warned = _sign_in_and_read_settings(browser, proxied.forwarding.url, account.api_key)
    assert twilio.startswith(f"{proxied.forwarding.url}/inbound/")
    assert warned  # 127.0.0.1 and no public URL: providers could not reach these


def test_session_cookie_is_secure_only_when_a_trusted_proxy_says_https(proxied):
    via_proxy = httpx.Client(
        base_url=proxied.trusted.base_url, transport=httpx.HTTPTransport(local_address=PROXY)
    )
    direct = httpx.Client(base_url=proxied.trusted.base_url)
    https = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "2001:db8::1"}
    forwarded = {"Forwarded": 'for="[2001:db8::1]:4711";proto=https;host=stoplist.example.com'}
    with via_proxy, direct:
        assert _secure_cookie(via_proxy, https)
        assert not _secure_cookie(via_proxy, {})
        # The kind of header this proxy does not set is what a client wrote.
        assert not _secure_cookie(via_proxy, forwarded)
        # The same headers from anyone else are not believed.
        assert not _secure_cookie(direct, https)
        assert not _secure_cookie(direct, forwarded)
    assert "2001:db8::1" in proxied.trusted.logs(containing="2001:db8::1")


def test_a_client_s_own_forwarded_header_through_nginx_is_not_its_address(proxied):
    """nginx sets the X- headers and passes a client's ``Forwarded`` on untouched: were it
    read, any client could pick its address, and a new one for each wrong password."""
    with httpx.Client(base_url=proxied.forwarding.url) as client:
        spoofed = {"Forwarded": "for=198.51.0.77;proto=https"}
        answer = client.get("/healthz", params={"probe": "spoof-check"}, headers=spoofed)
        assert answer.status_code == 200
    logged = proxied.trusted.logs(containing="spoof-check")
    line = next(line for line in logged.splitlines() if "spoof-check" in line)
    assert "198.51.0.77" not in line and "127.0.0.1" in line


def test_a_client_s_own_x_forwarded_for_through_nginx_is_not_its_address(proxied):
    """A client on the proxy's own (trusted) address writes an address of its choosing: nginx
    replaces it with the one it saw, so the server sees and logs the real one."""
    forged = {"X-Forwarded-For": "203.0.113.9"}
    on_the_proxy_machine = httpx.HTTPTransport(local_address=PROXY)
    with httpx.Client(base_url=proxied.forwarding.url, transport=on_the_proxy_machine) as client:
        answer = client.get("/healthz", params={"probe": "xff-check"}, headers=forged)
        assert answer.status_code == 200
    logged = proxied.trusted.logs(containing="xff-check")
    line = next(line for line in logged.splitlines() if "xff-check" in line)
    assert "203.0.113.9" not in line and PROXY in line


def _secure_cookie(client: httpx.Client, headers: dict[str, str]) -> bool:
    """Whether a new session's cookie, made for a request with ``headers``, is Secure."""
    client.cookies.clear()
    return _is_secure(_session_cookie(client.get("/dashboard/login", headers=headers)))


def test_twilio_signature_is_checked_against_the_forwarded_url(proxied, account, db):
    token = "twilio-auth-proxy"
    InboundEndpoints(db, account.account).require_signatures("twilio", token, None)
    path = f"/inbound/{account.account.inbound_token}/twilio"
    form = {"From": "+33612345678", "To": "+33700000000", "Body": "Stop", "MessageSid": "SMpx1"}
    signature = RequestValidator(token).compute_signature(PUBLIC_HTTPS + path, form)
    headers = {
        "X-Twilio-Signature": signature,
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "stoplist.example.com",
    }
    direct = httpx.Client(base_url=proxied.trusted.base_url)
    via_proxy = httpx.Client(
        base_url=proxied.trusted.base_url, transport=httpx.HTTPTransport(local_address=PROXY)
    )
    with direct, via_proxy:
        assert direct.post(path, data=form, headers=headers).status_code == 403
        assert via_proxy.post(path, data=form, headers=headers).status_code == 200
        listed = direct.get("/v1/stop-sms/list", params={"apiKey": account.api_key}).json()
    assert [entry["phoneNumber"] for entry in listed["data"]] == ["+33612345678"]


def test_an_https_public_url_makes_the_cookie_secure_and_is_what_twilio_signs(
    https_public, account, db
):
    token = "twilio-auth-public"
    InboundEndpoints(db, account.account).require_signatures("twilio", token, None)
    path = f"/inbound/{account.account.inbound_token}/twilio"
    form = {"From": "+33612345679", "Body": "STOP", "MessageSid": "SMpub1"}
    validator = RequestValidator(token)
    as_called = {"X-Twilio-Signature": validator.compute_signature(PUBLIC_HTTPS + path, form)}
    as_seen = {
        "X-Twilio-Signature": validator.compute_signature(https_public.base_url + path, form)
    }
    with httpx.Client(base_url=https_public.base_url) as client:
        assert client.post(path, data=form, headers=as_seen).status_code == 403
        assert client.post(path, data=form, headers=as_called).status_code == 200
        assert _is_secure(_session_cookie(client.get("/dashboard/login")))
