"""Take the README's dashboard screenshots: ``python -m tests.web.screenshots``.

Seeds a fresh SQLite database with three months of realistic activity, runs a
real ``stoplist serve`` on it and photographs the home, search and list pages
at desktop and phone widths with the same headless Chromium as the tests.
"""

from __future__ import annotations

import random
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from stoplist.domain import clock
from stoplist.domain.accounts import Accounts
from stoplist.domain.errors import StoplistError
from stoplist.domain.stops import StopList
from stoplist.records.events import EventKind, NewEvent, Source
from stoplist.storage.database import Database
from tests.support import Server
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS

OUTPUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}
FEATURED = "+33612345678"
_DAY = 86_400 * clock.MICROS


def seed(db: Database) -> str:
    """Create the demo account with 90 days of history; returns its API key."""
    created = Accounts(db).create("Acme Marketing")
    stops = StopList(db, created.account)
    rng = random.Random(7)
    now = clock.now_us()
    used: set[str] = {FEATURED}

    def number() -> str:
        while True:
            candidate = f"+336{rng.randrange(10**7, 10**8)}"
            try:
                valid = stops.normalize(candidate) == candidate
            except StoplistError:
                valid = False
            if valid and candidate not in used:
                used.add(candidate)
                return candidate

    # One number with a story to tell on the search page.
    stops.record(
        NewEvent(
            FEATURED,
            EventKind.OPT_OUT,
            Source.SMS,
            event_at=now - 40 * _DAY,
            provider="twilio",
            provider_message_id="SM9f1c2e7a",
            text="STOP",
        )
    )
    stops.record(
        NewEvent(
            FEATURED,
            EventKind.OPT_IN,
            Source.DASHBOARD,
            event_at=now - 21 * _DAY,
            actor="dashboard (password)",
            reason="Customer re-subscribed in store",
        )
    )
    stops.record(
        NewEvent(
            FEATURED,
            EventKind.HELP,
            Source.SMS,
            event_at=now - 5 * _DAY,
            provider="smspartner",
            provider_message_id="111111",
            text="Aide",
        )
    )
    stops.record(
        NewEvent(
            FEATURED,
            EventKind.OPT_OUT,
            Source.SMS,
            event_at=now - 2 * _DAY,
            provider="smspartner",
            provider_message_id="111187",
            text="Stop svp",
        )
    )

    message = 0
    for days_ago in range(89, -1, -1):
        day = now - days_ago * _DAY - 3 * 3600 * clock.MICROS
        campaign = days_ago % 7 in (1, 4)
        for _ in range(rng.randint(3, 9) if campaign else rng.randint(0, 3)):
            message += 1
            provider = rng.choice(["twilio", "smspartner", "vonage"])
            stops.record(
                NewEvent(
                    number(),
                    EventKind.OPT_OUT,
                    Source.SMS,
                    event_at=day + rng.randrange(8 * 3600) * clock.MICROS,
                    provider=provider,
                    provider_message_id=f"{provider[:2].upper()}{message:08d}",
                    text=rng.choice(["STOP", "Stop", "stop svp", "ARRET", "STOP 36180"]),
                )
            )
        for _ in range(rng.choice([0, 0, 1, 2])):
            stops.record(NewEvent(number(), EventKind.OPT_OUT, Source.API, event_at=day))
        if days_ago % 30 == 12:
            for _ in range(14):
                stops.record(
                    NewEvent(number(), EventKind.OPT_OUT, Source.IMPORT, event_at=day, actor="csv")
                )
        if days_ago % 15 == 3:
            for _ in range(4):
                stops.record(NewEvent(number(), EventKind.OPT_OUT, Source.SYNC, event_at=day))
        if days_ago % 9 == 0:
            stops.record(
                NewEvent(
                    number(),
                    EventKind.OPT_OUT,
                    Source.DASHBOARD,
                    event_at=day,
                    actor="dashboard (password)",
                    reason="Asked by phone",
                )
            )
        if days_ago % 6 == 2 and used:
            back = sorted(used)[rng.randrange(len(used))]
            if stops.find(back) is not None:
                by_sms = rng.random() < 0.6
                stops.record(
                    NewEvent(
                        back,
                        EventKind.OPT_IN,
                        Source.SMS if by_sms else Source.DASHBOARD,
                        event_at=day + 10 * 3600 * clock.MICROS,
                        provider="twilio" if by_sms else None,
                        provider_message_id=f"SMSTART{days_ago:04d}" if by_sms else None,
                        text="START" if by_sms else None,
                        actor=None if by_sms else "dashboard (password)",
                        reason=None if by_sms else "Opted back in at the counter",
                    )
                )

    return created.api_key


def main() -> None:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as workdir:
        url = f"sqlite:///{Path(workdir) / 'screenshots.db'}"
        db = Database(url)
        db.migrate()
        api_key = seed(db)
        db.dispose()
        server = Server(url, Path(workdir) / "server.log").start()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                context = browser.new_context(base_url=server.base_url, locale="en-GB")
                page = context.new_page()
                page.goto("/dashboard/")
                page.locator("#api_key").fill(api_key)
                page.locator("form:has(#api_key) button").click()
                page.wait_for_url("**/dashboard/")
                pages = {
                    "home": "/dashboard/",
                    "search": "/dashboard/search?number=06+12+34+56+78",
                    "list": "/dashboard/numbers",
                }
                for size_name, (width, height) in SIZES.items():
                    page.set_viewport_size({"width": width, "height": height})
                    for name, path in pages.items():
                        page.goto(path)
                        target = OUTPUT / f"{name}-{size_name}.png"
                        page.screenshot(path=str(target), full_page=size_name == "desktop")
                        print(target, file=sys.stderr)
                browser.close()
        finally:
            server.stop()


if __name__ == "__main__":
    main()
