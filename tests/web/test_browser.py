"""The dashboard as support staff use it, in a real browser against a real server."""

from __future__ import annotations

import csv
import io
import re

from playwright.sync_api import Browser, Page, expect

from stoplist.domain.stops import StopList
from tests.support import Server
from tests.web.conftest import sign_in_with_key


def test_staff_workflow(page: Page, account):
    sign_in_with_key(page, account.api_key)
    expect(page.locator("#stopped-count")).to_have_text("0")

    # Search a number typed the French way: it is not stopped.
    page.get_by_role("link", name="Search").click()
    page.get_by_label("Phone number (any format)").fill("06 12 34 56 78")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#status")).to_have_text("Not stopped")
    expect(page.get_by_role("heading", level=2).first).to_contain_text("+33612345678")

    # Add it by hand, with a reason.
    page.locator("#add-reason").fill("Asked by phone")
    page.get_by_role("button", name="Add to the stop list").click()
    expect(page.locator("#status")).to_have_text("Stopped")
    history = page.locator("table.events tbody tr")
    expect(history).to_have_count(1)
    expect(history.first).to_contain_text("Opt-out")
    expect(history.first).to_contain_text("Asked by phone")
    expect(history.first).to_contain_text("dashboard (API key")

    # The list shows it, filtered by source and sorted.
    page.get_by_role("link", name="Stop list").click()
    expect(page.locator("#list-count")).to_contain_text("1 number matches")
    page.get_by_label("Source").select_option("sms")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#list-count")).to_contain_text("0 numbers match")
    page.get_by_label("Source").select_option("manual")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("table.numbers tbody tr")).to_have_count(1)

    # Export the list as CSV.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export the list (CSV)").click()
    rows = list(csv.reader(io.StringIO(download_info.value.path().read_text())))
    assert rows[0] == ["id", "phoneNumber", "createdAt", "source"]
    assert [row[1] for row in rows[1:]] == ["+33612345678"]

    # Remove it: a confirmation page asks for the reason, recorded as an event.
    page.get_by_role("link", name="Remove +33612345678").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Remove +33612345678")
    page.get_by_label("Reason").fill("Customer opted back in by email")
    page.get_by_role("button", name="Yes, remove it").click()
    expect(page.locator("#status")).to_have_text("Not stopped")
    expect(page.locator("table.events tbody tr").first).to_contain_text(
        "Customer opted back in by email"
    )
    expect(page.locator("table.events tbody tr").first).to_contain_text("Opt-in")

    # Change a setting: the time zone.
    page.get_by_role("link", name="Settings").click()
    page.locator("#timezone").fill("America/New_York")
    page.get_by_role("region", name="Region and time zone").get_by_role(
        "button", name="Save"
    ).click()
    expect(page.get_by_role("status")).to_have_text("Settings saved.")
    expect(page.locator("#timezone")).to_have_value("America/New_York")

    # This account's own keyword, and an outgoing webhook endpoint (its secret shown once).
    page.get_by_label("Keyword", exact=True).fill("Basta così")
    page.get_by_label("Action", exact=True).select_option("opt_out")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator("#account-keywords")).to_contain_text("basta cosi")
    page.get_by_label("Endpoint URL").fill("https://crm.example/stoplist-events")
    page.get_by_role("button", name="Add endpoint").click()
    assert page.locator("#new-secret").input_value().startswith("whsec_")
    expect(page.locator("#endpoints")).to_contain_text("https://crm.example/stoplist-events")

    # Create a key, see it once, then revoke it.
    page.get_by_label("Label").fill("newsletter tool")
    page.get_by_role("button", name="Create a key").click()
    new_key = page.locator("#new-key").input_value()
    assert new_key.startswith("sl_")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("tr", has_text="newsletter tool").get_by_role(
        "button", name=re.compile("Revoke")
    ).click()
    expect(page.locator("tr", has_text="newsletter tool")).to_contain_text("Revoked")

    # Sign out: the dashboard asks to sign in again.
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_have_text("You are signed out.")
    page.goto("/dashboard/numbers")
    expect(page).to_have_url(re.compile(r"/dashboard/login\?next="))


def test_one_account_never_sees_anothers_numbers(
    browser: Browser, server: Server, db, account, other_account
):
    stop = StopList(db, account.account).add("0612345678")
    french = browser.new_context(base_url=server.base_url, locale="fr-FR")
    try:
        page = french.new_page()
        page.goto("/dashboard/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Connexion")
        page.get_by_label("Clé API").fill(other_account.api_key)
        page.locator("form:has(#api_key) button").click()
        page.wait_for_url("**/dashboard/")
        expect(page.locator("#stopped-count")).to_have_text("0")

        page.goto("/dashboard/search?number=0612345678")
        expect(page.locator("#status")).to_have_text("Pas en STOP")
        expect(page.locator("table.events")).to_have_count(0)
        page.goto("/dashboard/numbers")
        expect(page.locator("table.numbers")).to_have_count(0)
        answer = page.goto(f"/dashboard/numbers/{stop.id}/remove")
        assert answer is not None and answer.status == 404
    finally:
        french.close()


def test_a_form_without_its_csrf_token_is_refused(page: Page, db, account):
    sign_in_with_key(page, account.api_key)
    page.goto("/dashboard/search?number=0611111111")
    page.locator("#add-form input[name=csrf_token]").evaluate("input => input.remove()")
    page.locator("#add-reason").fill("forged")
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Add to the stop list").click()
    assert navigation.value is not None and navigation.value.status == 403
    expect(page.get_by_role("alert")).to_contain_text("This form has expired")
    assert StopList(db, account.account).find("0611111111") is None

    # The same with a forged token, straight from the browser's cookie jar.
    answer = page.request.post(
        "/dashboard/numbers", form={"number": "0611111111", "reason": "x", "csrf_token": "forged"}
    )
    assert answer.status == 403
    assert StopList(db, account.account).find("0611111111") is None


UNLABELLED = """() => [...document.querySelectorAll(
    'input:not([type=hidden]), select, textarea, button')]
  .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
               && !(e.tagName === 'BUTTON' && e.textContent.trim()))
  .map(e => e.outerHTML)"""


def test_every_control_is_labelled_and_the_keyboard_reaches_the_content(page: Page, account):
    sign_in_with_key(page, account.api_key)
    for path in (
        "/dashboard/",
        "/dashboard/search?number=0612345678",
        "/dashboard/numbers",
        "/dashboard/import",
        "/dashboard/settings",
    ):
        page.goto(path)
        assert page.evaluate(UNLABELLED) == [], path
        assert page.locator("html").get_attribute("lang") == "en"
    page.keyboard.press("Tab")
    expect(page.locator(".skip")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
