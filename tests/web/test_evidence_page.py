"""The printable evidence page of a number, in headless Chromium, from the number's page."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import text

from stoplist.domain import erasure
from stoplist.domain.inbound import Inbound, InboundMessage
from stoplist.domain.stops import StopList
from stoplist.records.events import Source
from tests.support import Server
from tests.web.conftest import dashboard_client, sign_in_with_key

NUMBER = "+33612345678"


def test_evidence_page_from_the_number_page(page: Page, db, account):
    message = InboundMessage(
        "generic", NUMBER, "qui êtes-vous ?", message_id="w-1", signature_verified=False
    )
    Inbound(db, account.account).receive(message)
    StopList(db, account.account).add(
        NUMBER, source=Source.DASHBOARD, actor="alice", reason="asked by phone"
    )
    sign_in_with_key(page, account.api_key)
    page.goto("/dashboard/search?number=0612345678")
    page.get_by_role("link", name="Evidence (printable)").click()
    page.wait_for_url("**/dashboard/evidence?number=*")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Evidence for {NUMBER}")
    expect(page.locator("#verdict")).to_contain_text("Intact")
    expect(page.locator("#evidence-status")).to_contain_text("Stopped since")
    events = page.locator("section.evidence-event")
    expect(events).to_have_count(2)
    reply, stop = events.nth(0), events.nth(1)
    expect(reply).to_contain_text("qui êtes-vous ?")
    expect(reply).to_contain_text("w-1")
    expect(reply.locator(".signature")).to_contain_text("not required, not checked")
    expect(stop).to_contain_text("alice")
    expect(stop).to_contain_text("asked by phone")
    expect(stop.locator(".proof")).to_contain_text("verified: the content gives this hash")
    expect(stop.locator(".hash").first).to_have_text(re.compile(r"^[0-9a-f]{64}$"))

    # On paper: only the evidence, no menu and no buttons.
    page.emulate_media(media="print")
    expect(page.locator("header.top")).to_be_hidden()
    expect(page.locator("#print")).to_be_hidden()
    page.emulate_media(media="screen")

    with db.engine.begin() as conn:
        conn.execute(
            text("UPDATE events SET text = 'STOP' WHERE account_id = :a AND kind = 'reply'"),
            {"a": account.account.id},
        )
    page.reload()
    expect(page.locator("#verdict")).to_contain_text("Not intact")
    expect(events.nth(0).locator(".proof")).to_contain_text("does not verify")
    expect(events.nth(1).locator(".proof")).to_contain_text("the chain before it is broken")


def test_evidence_page_in_french(browser: Browser, server: Server, db, account):
    StopList(db, account.account).add(NUMBER)
    french = browser.new_context(base_url=server.base_url, locale="fr-FR")
    try:
        page = french.new_page()
        page.goto("/dashboard/")
        page.get_by_label("Clé API").fill(account.api_key)
        page.locator("form:has(#api_key) button").click()
        page.wait_for_url("**/dashboard/")
        page.goto("/dashboard/search?number=0612345678")
        page.get_by_role("link", name="Preuves (imprimables)").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Preuves pour {NUMBER}")
        expect(page.locator("#verdict")).to_contain_text("Intact : chaque événement")
    finally:
        french.close()


def test_an_erased_number_s_page_says_so_and_offers_no_removal(server: Server, db, account):
    """Its entry cannot be removed (only the person's opt-in lifts an erasure): the page
    says why instead of offering a Remove button that leads nowhere."""
    stop_list = StopList(db, account.account)
    erased = erasure.erase(stop_list, "0612345670", actor="dpo", reason="request")
    with dashboard_client(server, account.api_key) as (client, _):
        found = client.get("/dashboard/search", params={"number": "06 12 34 56 70"})
        assert found.status_code == 200
        assert 'id="status"' in found.text and "Stopped" in found.text
        assert f"/numbers/{erased.stop_id}/remove" not in found.text
        assert "Erased at the person's request on" in found.text
        assert "only an opt-in from the person lifts it" in found.text
        removal = client.get(f"/dashboard/numbers/{erased.stop_id}/remove")
        assert removal.status_code == 404


def test_an_import_from_the_dashboard_leaves_a_lifted_erasure_off(server: Server, db, account):
    """After the person's START lifted the erasure, the number's page shows it allowed,
    without the erasure, and an import counts it as opted back in."""
    stop_list = StopList(db, account.account)
    erasure.erase(stop_list, "0612345671", actor="dpo")
    path = f"/inbound/{account.account.inbound_token}/generic"
    with httpx.Client(base_url=server.base_url) as inbound:
        answer = inbound.post(path, json={"from": "+33612345671", "text": "START", "id": "d-1"})
        assert answer.status_code == 200 and answer.json()["type"] == "opt_in"
    with dashboard_client(server, account.api_key) as (client, token):
        found = client.get("/dashboard/search", params={"number": "06 12 34 56 71"})
        assert 'id="status"' in found.text and "Not stopped" in found.text
        assert "Erased at the person's request" not in found.text
        imported = client.post(
            "/dashboard/import",
            data={"csrf_token": token},
            files={"file": ("numbers.csv", b"phone\n0612345671\n", "text/csv")},
        )
    assert imported.status_code == 200
    assert 'id="import-added">0<' in imported.text and 'id="import-opted-in">1<' in imported.text
    assert stop_list.find("0612345671") is None
