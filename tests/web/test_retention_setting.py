"""The retention period on the dashboard's settings page, in headless Chromium."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from stoplist.domain.retention import Retention
from tests.web.conftest import sign_in_with_key


def test_the_retention_period_is_set_in_the_settings(page: Page, db, account):
    sign_in_with_key(page, account.api_key)
    page.goto("/dashboard/settings")
    days = page.get_by_label("Days texts are kept")
    expect(days).to_have_value("1095")
    days.fill("730")
    page.locator("form:has(#retention-days)").get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_be_visible()
    assert Retention(db, account.account).days() == 730
    expect(page.get_by_label("Days texts are kept")).to_have_value("730")

    # A period the browser lets through but the server refuses is explained, not saved.
    page.evaluate("document.getElementById('retention-days').removeAttribute('min')")
    page.get_by_label("Days texts are kept").fill("0")
    page.locator("form:has(#retention-days)").get_by_role("button", name="Save").click()
    refused = page.locator("section:has(#retention-days)").get_by_role("alert")
    expect(refused).to_contain_text("from 1 to 36500")
    assert Retention(db, account.account).days() == 730
