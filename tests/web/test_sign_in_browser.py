"""Sessions and the sign-in throttle as staff meet them, in a real browser, on two servers."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from stoplist.domain.accounts import Accounts
from stoplist.domain.dashboard_access import DashboardAccess
from stoplist.domain.dashboard_throttle import ADDRESS_LIMIT
from stoplist.storage.database import Database
from tests.support import Server, started

PASSWORD = "staff password 2024"


@pytest.fixture
def two_servers(fresh_database_url: str, tmp_path) -> Iterator[tuple[Server, Server]]:
    """Two server processes on one database of their own (the browser's address is theirs alone)."""
    with started(
        Server(fresh_database_url, tmp_path / "first.log"),
        Server(fresh_database_url, tmp_path / "second.log"),
    ) as (first, second):
        yield first, second


@pytest.fixture
def lone_server(fresh_database_url: str, tmp_path) -> Iterator[Server]:
    """A server on a database of its own (the browser's address is its alone)."""
    with started(Server(fresh_database_url, tmp_path / "server.log")) as (running,):
        yield running


def _sign_in_with_password(page: Page, base_url: str, name: str, password: str) -> None:
    page.goto(base_url + "/dashboard/login")
    page.get_by_label("Account name").fill(name)
    page.get_by_label("Password").fill(password)
    page.locator("form:has(#password)").get_by_role("button", name="Sign in").click()


def _sign_in_with_key(page: Page, base_url: str, api_key: str) -> None:
    page.goto(base_url + "/dashboard/login")
    page.get_by_label("API key").fill(api_key)
    page.locator("form:has(#api_key)").get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/dashboard/")


def test_a_cookie_copied_before_sign_out_opens_nothing_afterwards(browser: Browser, two_servers):
    first, second = two_servers
    db = Database(first.database_url)
    try:
        created = Accounts(db).create("acme")
    finally:
        db.dispose()
    context = browser.new_context(locale="en-GB")
    thief = browser.new_context(locale="en-GB")
    try:
        page = context.new_page()
        _sign_in_with_key(page, first.base_url, created.api_key)
        copied = context.cookies()
        thief.add_cookies(copied)
        stolen = thief.new_page()
        stolen.goto(second.base_url + "/dashboard/numbers")
        expect(stolen.get_by_role("heading", level=1)).to_have_text("Stop list")

        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("status")).to_have_text("You are signed out.")

        # The same cookie, on the other server, now leads to the sign-in page.
        thief.clear_cookies()
        thief.add_cookies(copied)
        stolen.goto(second.base_url + "/dashboard/numbers")
        expect(stolen).to_have_url(re.compile(r"/dashboard/login\?next="))
    finally:
        thief.close()
        context.close()


def test_guessing_on_two_servers_pauses_passwords_but_never_the_key(browser: Browser, two_servers):
    first, second = two_servers
    db = Database(first.database_url)
    try:
        created = Accounts(db).create("acme")
        DashboardAccess(db).set_password(created.account, PASSWORD)
    finally:
        db.dispose()
    context = browser.new_context(locale="en-GB")
    try:
        page = context.new_page()
        for index in range(ADDRESS_LIMIT):
            target = first if index % 2 else second
            _sign_in_with_password(page, target.base_url, "acme", f"wrong guess {index}")
            expect(page.get_by_role("alert")).to_contain_text("Sign-in failed")
        # Counted by both servers together: the right password now waits, on either.
        for target in (first, second):
            _sign_in_with_password(page, target.base_url, "acme", PASSWORD)
            expect(page.get_by_role("alert")).to_contain_text("Too many wrong passwords")
        # The API key still opens the dashboard at once.
        _sign_in_with_key(page, second.base_url, created.api_key)
        expect(page.get_by_role("heading", level=1)).to_have_text("Overview")
    finally:
        context.close()


def test_the_account_name_signs_in_as_the_command_line_finds_it(browser: Browser, lone_server):
    db = Database(lone_server.database_url)
    try:
        access = DashboardAccess(db)
        for name in ("Shop", unicodedata.normalize("NFC", "Café Lyon")):
            access.set_password(Accounts(db).create(name).account, PASSWORD)
    finally:
        db.dispose()
    context = browser.new_context(locale="en-GB")
    try:
        page = context.new_page()
        # Another case, and the accents typed as combining marks.
        for typed in ("shop", unicodedata.normalize("NFD", "CAFÉ LYON")):
            _sign_in_with_password(page, lone_server.base_url, typed, PASSWORD)
            expect(page.get_by_role("heading", level=1)).to_have_text("Overview")
            page.get_by_role("button", name="Sign out").click()
            expect(page.get_by_role("status")).to_have_text("You are signed out.")
    finally:
        context.close()
