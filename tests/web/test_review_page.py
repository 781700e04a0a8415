"""The "Possible opt-outs" page in headless Chromium: the banner, confirm, dismiss, and the mode."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import update

from stoplist.domain import clock
from stoplist.domain.accounts import Accounts
from stoplist.domain.confirmations import DEFAULT_TEXTS
from stoplist.domain.inbound import Inbound, InboundMessage
from stoplist.domain.review import ReviewQueue, Status
from stoplist.domain.stops import StopList
from stoplist.records.events import EventKind, Source
from stoplist.storage.schema import review_items
from tests.support import Server
from tests.web.conftest import new_context, sign_in_with_key


def _queue(db, account, number: str, text: str) -> int:
    item = Inbound(db, account.account).receive(InboundMessage("generic", number, text)).review_item
    assert item is not None
    return item


def test_deciding_possible_opt_outs_in_the_browser(page: Page, db, account):
    first = _queue(db, account, "+33612345678", "please stop texting me 🙏")
    second = _queue(db, account, "+33612345679", "ne m'envoyez plus de SMS")
    with db.write() as conn:
        conn.execute(
            update(review_items)
            .where(review_items.c.id == first)
            .values(created_at=clock.now_us() - 8 * 86_400 * clock.MICROS)
        )
    sign_in_with_key(page, account.api_key)
    banner = page.locator("#review-banner")
    expect(banner).to_contain_text("1 possible opt-out(s) have waited more than 7 days")
    banner.get_by_role("link", name="Review them").click()
    page.wait_for_url("**/dashboard/review")
    expect(page.get_by_role("heading", level=1)).to_have_text("Possible opt-outs")
    expect(page.locator("#review-overdue")).to_be_visible()
    expect(page.locator(f"#review-{first}")).to_contain_text("please stop texting me")
    expect(page.locator(f"#review-{first}")).to_contain_text("overdue")
    expect(page.locator(f"#review-{second}")).to_contain_text("ne m'envoyez plus de SMS")

    # A reason is required, as for every change made by hand.
    row = page.locator(f"#review-{first}")
    row.get_by_label("Reason").fill("asked twice")
    row.get_by_role("button", name="Confirm opt-out").click()
    expect(page.get_by_role("status")).to_contain_text("is stopped")
    # No SMS Partner key: the page says what to send, in the message's language.
    english = DEFAULT_TEXTS["en"][EventKind.OPT_OUT].replace("{sender}", account.account.name)
    expect(page.locator("#review-confirmation")).to_have_text(
        f"Send this opt-out confirmation: {english}"
    )
    stop = StopList(db, account.account).find("+33612345678")
    assert stop is not None and stop.source == "dashboard"
    _, events = StopList(db, account.account).history("+33612345678")
    opt_out = next(event for event in events if event.kind.value == "opt_out")
    assert opt_out.reason == "asked twice" and opt_out.actor

    row = page.locator(f"#review-{second}")
    row.get_by_label("Reason").fill("customer called, keeps the offers")
    row.get_by_role("button", name="Dismiss").click()
    expect(page.get_by_role("status")).to_contain_text("stays a reply")
    expect(page.locator("#review-confirmation")).to_have_count(0)
    expect(page.locator("#review-empty")).to_be_visible()
    expect(page.locator("#review-overdue")).to_have_count(0)
    expect(page.locator("#review-recent")).to_contain_text("customer called")
    assert StopList(db, account.account).find("+33612345679") is None
    decided = ReviewQueue(db, account.account).items(status=None)
    assert [item.status for item in decided] == [Status.CONFIRMED, Status.DISMISSED]

    page.goto("/dashboard/")
    expect(page.locator("#review-banner")).to_have_count(0)


def test_a_decision_without_its_csrf_token_is_refused(page: Page, db, account):
    item = _queue(db, account, "+33612345670", "remove me from your list")
    sign_in_with_key(page, account.api_key)
    page.goto("/dashboard/review")
    page.locator(f"#decide-{item} input[name=csrf_token]").evaluate("input => input.remove()")
    page.locator(f"#reason-{item}").fill("forged")
    with page.expect_navigation() as navigation:
        page.locator(f"#review-{item}").get_by_role("button", name="Confirm opt-out").click()
    assert navigation.value is not None and navigation.value.status == 403
    forged = page.request.post(
        f"/dashboard/review/{item}/confirm", form={"reason": "x", "csrf_token": "forged"}
    )
    assert forged.status == 403
    assert ReviewQueue(db, account.account).get(item).status is Status.PENDING
    assert StopList(db, account.account).find("+33612345670") is None


def test_the_mode_is_chosen_in_the_settings(page: Page, db, account):
    sign_in_with_key(page, account.api_key)
    page.goto("/dashboard/settings")
    expect(page.get_by_label("Queue it for review (Possible opt-outs)")).to_be_checked()
    page.get_by_label("Stop the number at once").check()
    page.locator("form:has(#reasonable-optout)").get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_be_visible()
    assert Accounts(db).get(account.account.name).reasonable_means == "optout"
    expect(page.get_by_label("Stop the number at once")).to_be_checked()


def test_the_review_page_and_its_setting_in_french(browser: Browser, server: Server, db, account):
    waiting = _queue(db, account, "+33612345672", "ne m'envoyez plus de SMS")
    decided = _queue(db, account, "+33612345673", "arrêtez de m'écrire svp")
    ReviewQueue(db, account.account).dismiss(
        str(decided), source=Source.CLI, actor="Claire", reason="client fidèle"
    )
    french = new_context(browser, server.base_url, locale="fr-FR")
    try:
        page = french.new_page()
        page.goto("/dashboard/login")
        page.get_by_label("Clé API").fill(account.api_key)
        page.locator("form:has(#api_key) button").click()
        page.wait_for_url("**/dashboard/")
        expect(page.locator("#review-banner")).to_contain_text(
            "1 désinscription(s) possible(s) attendent une décision."
        )
        page.locator("#review-banner").get_by_role("link", name="Les traiter").click()
        page.wait_for_url("**/dashboard/review")
        expect(page.get_by_role("heading", level=1)).to_have_text("Désinscriptions possibles")
        row = page.locator(f"#review-{waiting}")
        expect(row.get_by_role("button", name="Confirmer la désinscription")).to_be_visible()
        expect(row.get_by_role("button", name="Écarter")).to_be_visible()
        expect(page.locator(f"#decided-{decided}")).to_contain_text("Écartée · Claire")

        page.goto("/dashboard/search?number=%2B33612345673")
        expect(page.locator("main")).to_contain_text("Désinscription possible écartée")

        page.goto("/dashboard/settings")
        expect(page.locator("#reasonable-heading")).to_have_text("Désinscriptions en d'autres mots")
        queued = "Le mettre en attente de décision (Désinscriptions possibles)"
        expect(page.get_by_label(queued)).to_be_checked()
        # A mode the server does not know (a stale or forged form) is refused in French.
        page.locator("#reasonable-off").evaluate("radio => { radio.value = 'xyz' }")
        page.get_by_label("Le traiter comme une réponse").check()
        page.locator("form:has(#reasonable-off)").get_by_role("button", name="Enregistrer").click()
        refusal = page.locator("section:has(#reasonable-heading)").get_by_role("alert")
        expect(refusal).to_have_text(
            "Cette valeur a été refusée : "
            "mode de moyens raisonnables inconnu 'xyz' : utilisez optout, review ou off"
        )
        assert Accounts(db).get(account.account.name).reasonable_means == "review"
    finally:
        french.close()
