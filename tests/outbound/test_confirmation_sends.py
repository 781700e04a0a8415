"""Confirmations sent by stoplist itself through SMS Partner, against a local stand-in.

The server here is one of its own, on a database of its own, with
``STOPLIST_SMSPARTNER_URL`` pointing at the stand-in; the shared test server
never sees these accounts' outbox. Retries come quickly (``_RETRY_SECONDS``)
and a stalled answer outlasts the client's timeout (half the lease).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import func, select, update

from stoplist.domain import clock
from stoplist.domain.accounts import Accounts
from stoplist.domain.confirmations import DEFAULT_TEXTS, Confirmations
from stoplist.domain.webhooks import RETRY_WINDOW
from stoplist.records.events import EventKind
from stoplist.storage import confirmations as confirmation_sql
from stoplist.storage.database import Database
from stoplist.storage.schema import confirmations
from tests.api.test_observability import scrape, value
from tests.smspartner_standin import SmsPartnerStandIn
from tests.support import Server, temporary_postgres_database
from tests.webhook_receiver import wait_for

KEY = "smspartner-key-" + uuid.uuid4().hex


@pytest.fixture(scope="module")
def stand_in() -> Iterator[SmsPartnerStandIn]:
    with SmsPartnerStandIn(stall_seconds=3.0) as running:
        yield running


@pytest.fixture(scope="module")
def own_url(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path_factory.mktemp('sends') / 'sends.db'}"
        return
    with temporary_postgres_database() as url:
        yield url


@pytest.fixture(scope="module")
def sends_db(own_url: str) -> Iterator[Database]:
    database = Database(own_url)
    database.migrate()
    yield database
    database.dispose()


@pytest.fixture(scope="module")
def sending_server(
    own_url: str,
    sends_db: Database,
    stand_in: SmsPartnerStandIn,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Server]:
    directory = tmp_path_factory.mktemp("sending")
    env = {
        "STOPLIST_SMSPARTNER_URL": stand_in.base_url,
        "STOPLIST_WEBHOOK_RETRY_SECONDS": "0.05",
        "STOPLIST_WEBHOOK_POLL_SECONDS": "0.1",
        "STOPLIST_WEBHOOK_LEASE_SECONDS": "2",
        "STOPLIST_LIST_CACHE_DIR": "off",
    }
    running = Server(own_url, directory / "server.log", env=env).start()
    yield running
    running.stop()


@pytest.fixture
def client(sending_server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sending_server.base_url, timeout=30) as http:
        yield http


@pytest.fixture
def keyed(sends_db: Database, request: pytest.FixtureRequest):
    """An account that sends its confirmations through SMS Partner, as ``Bakery``."""
    created = Accounts(sends_db).create(f"{request.node.name[:100]}-{uuid.uuid4().hex[:6]}")
    Confirmations(sends_db, created.account).update(sender="Bakery", smspartner_key=KEY)
    return created.account


def _number() -> str:
    return f"+3361{uuid.uuid4().int % 10**7:07d}"


def _rows(db: Database, account_id: int) -> list:
    with db.read() as conn:
        return list(
            conn.execute(
                select(confirmations)
                .where(confirmations.c.account_id == account_id)
                .order_by(confirmations.c.id)
            )
        )


def _status(db: Database, account_id: int, status: str) -> bool:
    rows = _rows(db, account_id)
    return bool(rows) and all(row.status == status for row in rows)


def _post(client, account, provider: str, number: str, text: str) -> httpx.Response:
    path = f"/inbound/{account.inbound_token}/{provider}"
    if provider == "twilio":
        form = {"From": number, "Body": text, "MessageSid": "SM" + uuid.uuid4().hex}
        return client.post(path, data=form)
    return client.post(path, json={"from": number, "text": text, "id": uuid.uuid4().hex})


def test_a_stop_is_confirmed_through_smspartner(client, sends_db, stand_in, keyed, sending_server):
    number = _number()
    answer = _post(client, keyed, "generic", number, "Stop")
    assert answer.status_code == 200, answer.text
    assert answer.json()["reply"] is None  # nothing for the caller to send: stoplist does
    assert answer.json()["replyQueued"] is True
    wait_for(lambda: stand_in.sent(number), "the send")
    [sent] = stand_in.sent(number)
    assert sent.path == "/v1/send"
    assert sent.content_type == "application/json"
    text = DEFAULT_TEXTS["fr"][EventKind.OPT_OUT].replace("{sender}", "Bakery")
    assert sent.body == {"apiKey": KEY, "phoneNumbers": number, "message": text, "sender": "Bakery"}
    wait_for(lambda: _status(sends_db, keyed.id, "delivered"), "delivered")
    assert KEY not in sending_server.logs()


def test_twilio_answers_empty_when_stoplist_sends(client, stand_in, keyed):
    number = _number()
    answer = _post(client, keyed, "twilio", number, "help")
    assert answer.text.endswith("<Response/>"), answer.text
    wait_for(lambda: stand_in.sent(number), "the send")
    assert stand_in.sent(number)[0].body["message"] == DEFAULT_TEXTS["en"][EventKind.HELP].replace(
        "{sender}", "Bakery"
    )


def test_failures_are_retried_until_sent(client, sends_db, stand_in, keyed):
    number = _number()
    stand_in.fail(2, status=500)
    stand_in.stall(1)  # the third attempt outlasts the client's timeout
    stand_in.refuse(1, code=10)  # the fourth is a 200 that says the key was refused
    assert _post(client, keyed, "generic", number, "STOP").json()["replyQueued"] is True
    wait_for(lambda: _status(sends_db, keyed.id, "delivered"), "delivered after retries")
    answers = [sent.answered for sent in stand_in.sent(number)]
    assert answers == ["fail 500", "fail 500", "stall", "refuse 10", "ok"]
    [row] = _rows(sends_db, keyed.id)
    assert row.attempts == 5
    assert row.last_status_code == 200 and row.last_error is None
    # Every attempt sent the same confirmation: one number, one text.
    assert len({sent.body["message"] for sent in stand_in.sent(number)}) == 1


def test_a_failing_send_records_why(client, sends_db, stand_in, keyed):
    number = _number()
    stand_in.refuse(1, code=10)
    stand_in.fail(1, status=503)
    _post(client, keyed, "generic", number, "STOP")
    wait_for(lambda: len(stand_in.sent(number)) >= 3, "three attempts")
    wait_for(lambda: _status(sends_db, keyed.id, "delivered"), "delivered")
    errors = [sent.answered for sent in stand_in.sent(number)]
    assert errors == ["refuse 10", "fail 503", "ok"]


def test_the_24_hour_rule_holds_for_sends(client, sends_db, stand_in, keyed):
    number = _number()
    _post(client, keyed, "generic", number, "STOP")
    second = _post(client, keyed, "twilio", number, "STOP")
    assert second.text.endswith("<Response/>")
    help_answer = _post(client, keyed, "generic", number, "HELP")
    assert help_answer.json()["replyQueued"] is False  # stopped: no help text
    wait_for(lambda: _status(sends_db, keyed.id, "delivered"), "delivered")
    assert len(stand_in.sent(number)) == 1


def test_without_a_key_the_answer_carries_it_again(client, sends_db, stand_in, keyed):
    Confirmations(sends_db, keyed).update(forget_smspartner_key=True)
    number = _number()
    answer = _post(client, keyed, "generic", number, "STOP")
    assert answer.json()["reply"] == DEFAULT_TEXTS["fr"][EventKind.OPT_OUT].replace(
        "{sender}", "Bakery"
    )
    assert answer.json()["replyQueued"] is False
    assert Confirmations(sends_db, keyed).settings().smspartner_key_hint is None
    assert stand_in.sent(number) == []


@pytest.fixture
def reviewing(sends_db: Database, request: pytest.FixtureRequest):
    """Like ``keyed``, with its API key at hand for ``/v1/review/confirm``."""
    created = Accounts(sends_db).create(f"{request.node.name[:100]}-{uuid.uuid4().hex[:6]}")
    Confirmations(sends_db, created.account).update(sender="Bakery", smspartner_key=KEY)
    return created


def _queued(client, created, number: str, text: str) -> int:
    """Send ``text`` as a message from ``number``; it must land in the review queue."""
    answer = _post(client, created.account, "generic", number, text)
    assert answer.json()["type"] == "review", answer.text
    assert answer.json()["replyQueued"] is False  # a possible opt-out confirms nothing yet
    listed = client.get("/v1/review/list", params={"apiKey": created.api_key}).json()["data"]
    return next(item["id"] for item in reversed(listed) if item["phoneNumber"] == number)


def _confirm(client, created, item_id: int) -> httpx.Response:
    return client.post("/v1/review/confirm", json={"apiKey": created.api_key, "id": item_id})


def test_a_confirmed_possible_opt_out_is_confirmed_in_its_language(
    client, sends_db, stand_in, reviewing
):
    number = _number()  # a French number: the account's own language would be French
    item_id = _queued(client, reviewing, number, "please stop texting me")
    answer = _confirm(client, reviewing, item_id)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "confirmed"
    assert answer.json()["reply"] is None and answer.json()["replyQueued"] is True
    wait_for(lambda: stand_in.sent(number), "the send")
    [sent] = stand_in.sent(number)
    text = DEFAULT_TEXTS["en"][EventKind.OPT_OUT].replace("{sender}", "Bakery")
    assert sent.body == {"apiKey": KEY, "phoneNumbers": number, "message": text, "sender": "Bakery"}
    [row] = _rows(sends_db, reviewing.account.id)
    assert row.language == "en" and row.event_id == answer.json()["decisionEventId"]


def test_a_number_confirmed_twice_within_24_hours_gets_one_send(
    client, sends_db, stand_in, reviewing
):
    number = _number()
    first = _queued(client, reviewing, number, "ne m'envoyez plus de SMS svp")
    second = _queued(client, reviewing, number, "arrêtez de m'écrire")
    assert _confirm(client, reviewing, first).json()["replyQueued"] is True
    again = _confirm(client, reviewing, first)
    assert again.status_code == 409 and again.json()["code"] == 96
    later = _confirm(client, reviewing, second)
    assert later.status_code == 200, later.text
    assert later.json()["reply"] is None and later.json()["replyQueued"] is False
    wait_for(lambda: _status(sends_db, reviewing.account.id, "delivered"), "delivered")
    assert len(_rows(sends_db, reviewing.account.id)) == 1
    [sent] = stand_in.sent(number)
    assert sent.body["message"] == DEFAULT_TEXTS["fr"][EventKind.OPT_OUT].replace(
        "{sender}", "Bakery"
    )


def _pending_anywhere(db: Database) -> int:
    with db.read() as conn:
        pending = confirmations.c.status == "pending"
        return int(conn.execute(select(func.count()).where(pending)).scalar_one())


def _outcomes(samples) -> tuple[float, float, float]:
    name = "stoplist_confirmation_sends_total"
    return tuple(value(samples, name, outcome=o) for o in ("delivered", "retry", "failed"))


def test_sends_and_the_outbox_are_in_metrics(client, sends_db, stand_in, keyed):
    wait_for(lambda: _pending_anywhere(sends_db) == 0, "an empty outbox")
    before = _outcomes(scrape(client))
    number = _number()
    stand_in.fail(1)
    _post(client, keyed, "generic", number, "STOP")
    wait_for(lambda: _status(sends_db, keyed.id, "delivered"), "delivered after one retry")
    assert _outcomes(scrape(client)) == (before[0] + 1, before[1] + 1, before[2])

    # A confirmation queued three days ago (the server was down since) and failing now
    # is given up; while it waits, the outbox's depth and age show it.
    late = _number()
    event_id = _post(client, keyed, "generic", late, "bonjour").json()["eventId"]
    now = clock.now_us()
    with sends_db.write() as conn:
        row_id = confirmation_sql.insert_confirmation(
            conn, account_id=keyed.id, phone_number=late, kind="help", language="en",
            text="Bakery: reply STOP to unsubscribe.", event_id=event_id,
            channel=confirmation_sql.SMSPARTNER, status=confirmation_sql.PENDING,
            sender="Bakery", next_attempt_at=now + 3600 * clock.MICROS,
            created_at=now - RETRY_WINDOW - 3600 * clock.MICROS,
        )  # fmt: skip
    waiting = scrape(client)
    assert value(waiting, "stoplist_confirmation_queue_depth") == 1
    age = value(waiting, "stoplist_confirmation_oldest_pending_age_seconds")
    assert age >= (RETRY_WINDOW / clock.MICROS) + 3600
    stand_in.fail(1)
    with sends_db.write() as conn:
        due = update(confirmations).where(confirmations.c.id == row_id)
        conn.execute(due.values(next_attempt_at=clock.now_us()))
    wait_for(lambda: _pending_anywhere(sends_db) == 0, "the late send given up")
    assert [sent.answered for sent in stand_in.sent(late)] == ["fail 500"]
    after = scrape(client)
    assert _outcomes(after) == (before[0] + 1, before[1] + 1, before[2] + 1)
    assert value(after, "stoplist_confirmation_queue_depth") == 0
    assert value(after, "stoplist_confirmation_oldest_pending_age_seconds") == 0
