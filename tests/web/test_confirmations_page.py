"""The "Confirmations" page in headless Chromium: sender, key, texts, and what is then sent."""

from __future__ import annotations

import uuid

from playwright.sync_api import Page, expect

from stoplist.domain.confirmations import DEFAULT_TEXTS, Confirmations
from stoplist.records.events import EventKind
from tests.web.conftest import sign_in_with_key


def _stop(http, account, text: str) -> dict:
    number = f"+3361{uuid.uuid4().int % 10**7:07d}"
    answer = http.post(
        f"/inbound/{account.account.inbound_token}/generic",
        json={"from": number, "text": text, "id": uuid.uuid4().hex},
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_editing_confirmations_in_the_browser(page: Page, http, db, account):
    sign_in_with_key(page, account.api_key)
    page.get_by_role("navigation").get_by_role("link", name="Confirmations").click()
    page.wait_for_url("**/dashboard/confirmations")
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirmations")
    expect(page.locator("#sent-by")).to_contain_text("webhook answer")
    expect(page.locator("#text-opt_out-de")).to_have_value(DEFAULT_TEXTS["de"][EventKind.OPT_OUT])

    # The sender, named in every text.
    page.get_by_role("textbox", name="Sender").fill("Épicerie Martin")
    page.locator("#save-settings").click()
    expect(page.get_by_role("status")).to_contain_text("Saved.")
    assert _stop(http, account, "STOP")["reply"] == DEFAULT_TEXTS["fr"][EventKind.OPT_OUT].replace(
        "{sender}", "Épicerie Martin"
    )

    # One text of the account's own.
    page.locator("#text-opt_out-es").fill("{sender}: baja confirmada.")
    page.locator("#save-opt_out-es").click()
    expect(page.get_by_role("status")).to_contain_text("Saved.")
    expect(page.locator("#text-row-opt_out-es")).to_contain_text("own")
    assert _stop(http, account, "baja")["reply"] == "Épicerie Martin: baja confirmada."
    expect(page.locator("#text-opt_out-fr")).to_have_value(DEFAULT_TEXTS["fr"][EventKind.OPT_OUT])

    # Too long: refused, said so, nothing changed.
    page.locator("#text-help-en").evaluate("(area) => area.removeAttribute('maxlength')")
    page.locator("#text-help-en").fill("x" * 500)
    page.locator("#save-help-en").click()
    expect(page.get_by_role("alert")).to_contain_text("480")
    assert Confirmations(db, account.account).texts()[0].custom is False  # opt_out en

    # Back to the default.
    page.locator("#default-opt_out-es").click()
    expect(page.get_by_role("status")).to_contain_text("Saved.")
    expect(page.locator("#text-row-opt_out-es")).not_to_contain_text("own")
    expect(page.locator("#text-opt_out-es")).to_have_value(DEFAULT_TEXTS["es"][EventKind.OPT_OUT])

    # The SMS Partner key: typed in, never shown back but for its end.
    key = "sp-" + uuid.uuid4().hex
    page.get_by_label("SMS Partner API key").fill(key)
    page.locator("#save-settings").click()
    expect(page.locator("#sent-by")).to_contain_text("…" + key[-4:])
    assert key not in page.content()
    expect(page.get_by_label("SMS Partner API key")).to_have_value("")
    answer = _stop(http, account, "STOP")
    assert answer["reply"] is None and answer["replyQueued"] is True
    page.reload()
    rows = page.locator("#recent-confirmations tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text(
        "Waiting to be sent"
    )  # the test server's SMS Partner is away
    expect(rows.nth(1)).to_contain_text("In the webhook answer")

    # Forgotten again, then switched off.
    page.get_by_label("Forget the SMS Partner key").check()
    page.locator("#save-settings").click()
    expect(page.locator("#sent-by")).to_contain_text("webhook answer")
    page.get_by_label("Send confirmations").uncheck()
    page.locator("#save-settings").click()
    expect(page.get_by_role("status")).to_contain_text("Saved.")
    assert _stop(http, account, "STOP")["reply"] is None
    settings = Confirmations(db, account.account).settings()
    assert settings.enabled is False and settings.sender == "Épicerie Martin"
