"""The stop list page in a real browser: search, filters, page jump, and the phone chart.

Most of it runs with JavaScript turned off, because every part of the page
must work without it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from stoplist.domain.stops import StopList
from stoplist.records.events import EventKind, NewEvent, Source
from tests.support import Server
from tests.web.conftest import new_context, sign_in_with_key

SEEDED = 260  # six pages of 50


@pytest.fixture
def no_script(browser: Browser, server: Server) -> Iterator[BrowserContext]:
    made = new_context(browser, server.base_url, java_script_enabled=False)
    yield made
    made.close()


def _seed(db, account) -> None:
    stops = StopList(db, account.account)
    for index in range(SEEDED):
        source = Source.SMS if index % 2 else Source.IMPORT
        stops.record(NewEvent(f"+3361{index:07d}", EventKind.OPT_OUT, source))
    stops.add("+33798765432", source=Source.DASHBOARD, reason="by phone")


def test_search_filters_and_page_jump_work_without_javascript(no_script, db, account):
    _seed(db, account)
    page = no_script.new_page()
    sign_in_with_key(page, account.api_key)
    page.goto("/dashboard/numbers")
    expect(page.locator("#list-count")).to_contain_text("261 numbers match")
    expect(page.locator("#page-of")).to_have_text("Page 1 of 6")
    pager = page.get_by_role("navigation", name="Pages")
    expect(pager.get_by_role("link", name="Page 6")).to_be_visible()

    # Jump to a page by number, then to the last and the first.
    page.get_by_label("Go to page").fill("4")
    page.get_by_role("button", name="Go").click()
    expect(page).to_have_url(re.compile(r"page=4"))
    expect(page.locator("#page-of")).to_have_text("Page 4 of 6")
    expect(pager.locator("[aria-current=page]")).to_have_text("4")
    pager.get_by_role("link", name="Last page").click()
    expect(page.locator("#page-of")).to_have_text("Page 6 of 6")
    expect(page.locator("table.numbers tbody tr")).to_have_count(11)
    pager.get_by_role("link", name="First page").click()
    expect(page.locator("#page-of")).to_have_text("Page 1 of 6")
    pager.get_by_role("link", name="Page 2").click()
    expect(page.locator("#page-of")).to_have_text("Page 2 of 6")

    # A whole number in any spelling finds it, shown in national form beside E.164.
    page.get_by_label("Number (or part of one)").fill("07.98.76.54.32")
    page.get_by_role("button", name="Apply").click()
    rows = page.locator("table.numbers tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first.locator(".national")).to_have_text("07 98 76 54 32")
    expect(rows.first.locator(".e164")).to_have_text("+33798765432")
    expect(page.locator("#zone-note")).to_contain_text("Europe/Paris")

    # Part of a number, typed the national way, with a source filter kept alongside.
    page.get_by_label("Number (or part of one)").fill("06 10 00 01")
    page.get_by_label("Source").select_option("sms")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#list-count")).to_contain_text("50 numbers match")
    expect(page.get_by_label("Number (or part of one)")).to_have_value("06 10 00 01")
    for text in rows.locator(".e164").all_text_contents():
        assert text.startswith("+336100001")
    # Sorting keeps the search and the filter.
    page.get_by_role("link", name=re.compile("Stopped at")).click()
    expect(page.locator("#list-count")).to_contain_text("50 numbers match")
    expect(page.get_by_label("Source")).to_have_value("sms")

    # Digits anywhere in the number.
    page.goto("/dashboard/numbers?q=" + "65 43")
    expect(page.locator("#list-count")).to_contain_text("1 number matches")

    # Letters get a clear answer, not an empty list passed off as a result.
    answer = page.goto("/dashboard/numbers?q=hello")
    assert answer is not None and answer.status == 400
    expect(page.get_by_role("alert")).to_contain_text("Type a phone number")


def test_dates_counts_and_the_zone_follow_the_page_locale(
    browser: Browser, server: Server, db, account
):
    stops = StopList(db, account.account)
    stops.add("+33612345678")
    french = new_context(browser, server.base_url, locale="fr-FR", java_script_enabled=False)
    try:
        page = french.new_page()
        page.goto("/dashboard/login")
        page.get_by_label("Clé API").fill(account.api_key)
        page.locator("form:has(#api_key) button").click()
        page.goto("/dashboard/numbers")
        row = page.locator("table.numbers tbody tr").first
        expect(row.locator(".national")).to_have_text("06 12 34 56 78")
        # Babel's French medium date: "27 nov. 2026, 13:35:34".
        expect(row.locator("time")).to_have_text(
            re.compile(r"^\d{1,2} \S+ \d{4}, \d{2}:\d{2}:\d{2}$")
        )
        expect(page.locator("#zone-note")).to_have_text(
            "Les heures sont celles du fuseau Europe/Paris (heure d’Europe centrale)."
        )
        page.goto("/dashboard/search?number=%2B33612345678")
        expect(page.locator("#result-heading .national")).to_have_text("06 12 34 56 78")
        expect(page.locator("#zone-note")).to_contain_text("Europe/Paris")
    finally:
        french.close()


def test_on_a_phone_the_chart_opens_on_the_latest_days(browser: Browser, server: Server, account):
    phone = new_context(
        browser, server.base_url, viewport={"width": 390, "height": 844}, java_script_enabled=False
    )
    try:
        page: Page = phone.new_page()
        sign_in_with_key(page, account.api_key)
        wrap = page.locator(".chart-wrap")
        chart = wrap.locator("svg.chart")
        box, inner = wrap.bounding_box(), chart.bounding_box()
        assert box is not None and inner is not None
        assert inner["width"] > box["width"]  # the chart is wider than the screen ...
        # ... and its right end, today, is in view; the oldest days are off to the left.
        assert inner["x"] + inner["width"] <= box["x"] + box["width"] + 1
        assert inner["x"] < box["x"]
    finally:
        phone.close()
