"""One headless Chromium for the whole session, driven by Playwright.

Debian's own Chromium is used (``/usr/bin/chromium``, installed by
``.ci/run``); nothing is downloaded.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.support import Server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def new_context(browser: Browser, base_url: str, **options: Any) -> BrowserContext:
    """A browser context on ``base_url``: British English unless ``options`` say otherwise."""
    made = browser.new_context(
        base_url=base_url, **{"locale": "en-GB", "accept_downloads": True, **options}
    )
    made.set_default_timeout(15_000)
    return made


@pytest.fixture
def context(browser: Browser, server: Server) -> Iterator[BrowserContext]:
    made = new_context(browser, server.base_url)
    yield made
    made.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


def sign_in_with_key(page: Page, api_key: str) -> None:
    page.goto("/dashboard/")
    page.get_by_label("API key").fill(api_key)
    page.locator("form:has(#api_key)").get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/dashboard/")


def csrf_token_of(answer: httpx.Response) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', answer.text)
    assert found, answer.text
    return found.group(1)


def sign_in_http(client: httpx.Client, **fields: str) -> httpx.Response:
    token = csrf_token_of(client.get("/dashboard/login"))
    return client.post("/dashboard/login", data={"csrf_token": token, **fields})


@contextmanager
def dashboard_client(server: Server, api_key: str) -> Iterator[tuple[httpx.Client, str]]:
    """An English HTTP client signed in to the dashboard with ``api_key``, and its CSRF token."""
    with httpx.Client(base_url=server.base_url, headers={"Accept-Language": "en"}) as client:
        sign_in_http(client, method="key", api_key=api_key)
        yield client, csrf_token_of(client.get("/dashboard/import"))
