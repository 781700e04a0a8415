"""The dashboard's settings page: the retention period (in headless Chromium), the time zone."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from stoplist.domain import clock
from stoplist.domain.accounts import Accounts
from stoplist.domain.inbound import Inbound, InboundMessage
from stoplist.domain.retention import DEFAULT_DAYS, Retention
from tests.web.conftest import dashboard_client, sign_in_with_key


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


def test_a_sweep_shows_among_the_latest_events_as_an_event_of_the_whole_account(
    page: Page, db, account
):
    Inbound(db, account.account).receive(
        InboundMessage("generic", "+33612345671", "STOP", message_id="o-1")
    )
    later = clock.now_us() + (DEFAULT_DAYS + 1) * 86_400 * clock.MICROS
    assert Retention(db, account.account).apply(now=later).texts_blanked == 1
    sign_in_with_key(page, account.api_key)
    page.goto("/dashboard/")
    latest = page.locator("section[aria-labelledby=latest-heading]")
    row = latest.get_by_role("row").filter(has_text="Whole account")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Old texts blanked (retention)")
    expect(row).to_contain_text("Scheduled task")
    expect(row).to_contain_text(f"1 texts and 0 review texts older than {DEFAULT_DAYS} days")
    # The number's own row still links to its page; the sweep's has no link.
    expect(row.get_by_role("link")).to_have_count(0)
    expect(latest.get_by_role("link", name="06 12 34 56 71")).to_have_count(1)


def test_a_time_zone_that_names_a_directory_of_the_zone_database_is_refused(server, db, account):
    """``Europe`` and over-long names fail as files, not as unknown zones: still a 422."""
    with dashboard_client(server, account.api_key) as (client, token):
        for zone in ("Europe", "Europe/" + "x" * 300):
            answer = client.post(
                "/dashboard/settings/regional",
                data={"csrf_token": token, "default_region": "FR", "timezone": zone},
            )
            assert answer.status_code == 422, answer.text
            assert "Unknown region or time zone." in answer.text
    assert Accounts(db).get(account.account.id).timezone == "Europe/Paris"
