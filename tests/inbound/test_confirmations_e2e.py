"""Confirmations given in the webhook's answer, through the real server.

Twilio gets TwiML ``<Message>``; every JSON-speaking provider gets ``reply``.
The 24-hour rule is checked by moving the clock of what was given: the
confirmations already recorded are made 25 hours older in the database.
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import update

from stoplist.domain import clock
from stoplist.domain.accounts import Accounts
from stoplist.domain.confirmations import DEFAULT_TEXTS, Confirmations
from stoplist.records.events import EventKind
from stoplist.storage.schema import confirmations

JSON_PROVIDERS = ("smspartner", "vonage", "generic")
_counter = 0


def _number() -> str:
    global _counter
    _counter += 1
    return f"+3361{uuid.uuid4().int % 10**5:05d}{_counter % 100:02d}"


def _path(account, provider: str) -> str:
    return f"/inbound/{account.account.inbound_token}/{provider}"


def twilio(http, account, number: str, text: str, sid: str | None = None) -> str | None:
    """The ``<Message>`` Twilio is told to send back (None for an empty ``<Response/>``)."""
    form = {"From": number, "To": "+15005550006", "Body": text, "MessageSid": sid or _sid()}
    answer = http.post(_path(account, "twilio"), data=form)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/xml")
    root = ET.fromstring(answer.content)
    assert root.tag == "Response"
    messages = root.findall("Message")
    assert len(messages) <= 1, answer.text
    return messages[0].text if messages else None


def post_json(http, account, provider: str, number: str, text: str) -> dict:
    message_id = uuid.uuid4().hex
    path = _path(account, provider)
    if provider == "vonage":
        fields = {"msisdn": number.lstrip("+"), "to": "33700000000", "text": text}
        answer = http.post(path, data={**fields, "messageId": message_id})
    elif provider == "smspartner":
        fields = {"msisdn": number.lstrip("+"), "to": "33700000000", "text": text}
        answer = http.post(path, json={**fields, "message_id": message_id})
    else:
        answer = http.post(path, json={"from": number, "text": text, "id": message_id})
    assert answer.status_code == 200, answer.text
    return answer.json()


def _sid() -> str:
    return "SM" + uuid.uuid4().hex


def expected(account, language: str, kind: EventKind, sender: str | None = None) -> str:
    return DEFAULT_TEXTS[language][kind].replace("{sender}", sender or account.account.name)


def age_confirmations(db, account, hours: float) -> None:
    """Move the clock: what was given to this account happened ``hours`` earlier."""
    with db.write() as conn:
        conn.execute(
            update(confirmations)
            .where(confirmations.c.account_id == account.account.id)
            .values(created_at=confirmations.c.created_at - int(hours * 3600 * clock.MICROS))
        )


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("STOP", "fr"),  # shared by several languages: the account's region (FR) decides
        ("Arrêt svp", "fr"),
        ("UNSUBSCRIBE", "en"),
        ("baja", "es"),
        ("Stopp bitte", "de"),
        ("ferma", "it"),
        ("sair", "pt"),
        ("afmelden", "nl"),
    ],
)
def test_twilio_answers_the_opt_out_confirmation_in_the_keywords_language(
    http, account, text, language
):
    assert twilio(http, account, _number(), text) == expected(account, language, EventKind.OPT_OUT)


@pytest.mark.parametrize(
    ("provider", "text", "kind", "language"),
    [
        ("generic", "HELP", EventKind.HELP, "en"),
        ("vonage", "aide", EventKind.HELP, "fr"),
        ("smspartner", "hilfe", EventKind.HELP, "de"),
        ("generic", "ayuda", EventKind.HELP, "es"),
        ("vonage", "alta", EventKind.OPT_IN, "es"),
        ("smspartner", "aanmelden", EventKind.OPT_IN, "nl"),
        ("generic", "riprendi", EventKind.OPT_IN, "it"),
        ("vonage", "ajuda", EventKind.HELP, "pt"),
        ("smspartner", "désabonnement", EventKind.OPT_OUT, "fr"),
    ],
)
def test_json_answers_carry_the_reply(http, account, provider, text, kind, language):
    answer = post_json(http, account, provider, _number(), text)
    assert answer["type"] == kind.value
    assert answer["reply"] == expected(account, language, kind)
    assert answer["replyQueued"] is False


def test_a_plain_reply_gets_no_confirmation(http, account):
    number = _number()
    assert twilio(http, account, number, "see you tomorrow") is None
    for provider in JSON_PROVIDERS:
        answer = post_json(http, account, provider, number, "where is the bus stop")
        assert answer["type"] == "reply" and answer["reply"] is None


def test_a_region_chooses_the_language_of_shared_keywords(http, db, account):
    Accounts(db).update_settings(account.account, default_region="NL")
    assert twilio(http, account, "+31612345678", "stop") == expected(
        account, "nl", EventKind.OPT_OUT
    )
    Accounts(db).update_settings(account.account, default_region="US")
    assert twilio(http, account, "+12025550123", "info") == expected(account, "en", EventKind.HELP)


def test_at_most_one_confirmation_per_number_and_kind_in_24_hours(http, db, account):
    number = _number()
    first = twilio(http, account, number, "STOP")
    assert first == expected(account, "fr", EventKind.OPT_OUT)
    assert twilio(http, account, number, "STOP") is None  # a second STOP, a minute later
    assert post_json(http, account, "generic", number, "arret")["reply"] is None
    other = _number()
    assert twilio(http, account, other, "STOP") == first  # another number is not held back

    age_confirmations(db, account, 23)
    assert twilio(http, account, number, "STOP") is None  # 23 hours on: still within the day
    age_confirmations(db, account, 2)
    # 25 hours on: confirmed again, though the number is still stopped (opt-out itself).
    assert twilio(http, account, number, "STOP") == first


def test_the_rule_counts_each_kind_apart(http, account):
    number = _number()
    assert twilio(http, account, number, "HELP") == expected(account, "en", EventKind.HELP)
    assert twilio(http, account, number, "HELP") is None
    assert twilio(http, account, number, "START") == expected(account, "fr", EventKind.OPT_IN)
    assert twilio(http, account, number, "STOP") == expected(account, "fr", EventKind.OPT_OUT)


def test_nothing_but_the_opt_out_confirmation_reaches_a_stopped_number(http, db, account):
    number = _number()
    assert twilio(http, account, number, "STOP") == expected(account, "fr", EventKind.OPT_OUT)
    assert twilio(http, account, number, "HELP") is None  # stopped: no help text
    age_confirmations(db, account, 25)
    assert twilio(http, account, number, "aide") is None
    # Stopped by the API: an SMS START does not outrank it, so the number stays stopped.
    api_number = _number()
    added = http.post(
        "/v1/stop-sms/add", json={"apiKey": account.api_key, "phoneNumber": api_number}
    )
    assert added.status_code == 200, added.text
    started = post_json(http, account, "generic", api_number, "START")
    assert (started["reply"] is None) is started["stopped"]
    # Opted in again: help is answered once more.
    assert twilio(http, account, number, "START") == expected(account, "fr", EventKind.OPT_IN)
    assert twilio(http, account, number, "HELP") == expected(account, "en", EventKind.HELP)


def test_a_message_delivered_again_gets_the_same_answer(http, account):
    number, sid = _number(), _sid()
    first = twilio(http, account, number, "Stop", sid=sid)
    assert first == expected(account, "fr", EventKind.OPT_OUT)
    assert twilio(http, account, number, "Stop", sid=sid) == first  # Twilio retried
    assert twilio(http, account, number, "Stop") is None  # a new STOP within the day


def test_opt_outs_in_other_words_are_confirmed_in_their_language(http, db, account):
    Accounts(db).update_settings(account.account, reasonable_means="optout")
    answer = post_json(http, account, "generic", _number(), "please stop texting me")
    assert answer["type"] == "opt_out"
    assert answer["reply"] == expected(account, "en", EventKind.OPT_OUT)
    spanish = twilio(http, account, _number(), "no me manden más mensajes")
    assert spanish == expected(account, "es", EventKind.OPT_OUT)


def test_a_message_queued_for_review_is_not_confirmed(http, account):
    answer = post_json(http, account, "generic", _number(), "ne m'envoyez plus de SMS")
    assert answer["type"] == "review" and answer["reply"] is None


def test_the_accounts_sender_and_texts(http, db, account):
    settings = Confirmations(db, account.account)
    settings.update(sender="Boulangerie <Paul> & fils")
    number = _number()
    assert twilio(http, account, number, "STOP") == expected(
        account, "fr", EventKind.OPT_OUT, "Boulangerie <Paul> & fils"
    )
    settings.set_text("help", "en", "{sender} here: text STOP to opt out. Questions: 0800 123 456")
    assert post_json(http, account, "generic", _number(), "HELP")["reply"] == (
        "Boulangerie <Paul> & fils here: text STOP to opt out. Questions: 0800 123 456"
    )
    settings.set_text("help", "en", None)
    assert post_json(http, account, "generic", _number(), "HELP")["reply"] == expected(
        account, "en", EventKind.HELP, "Boulangerie <Paul> & fils"
    )


def test_confirmations_switched_off(http, db, account):
    Confirmations(db, account.account).update(enabled=False)
    assert twilio(http, account, _number(), "STOP") is None
    assert post_json(http, account, "generic", _number(), "HELP")["reply"] is None
    Confirmations(db, account.account).update(enabled=True)
    assert twilio(http, account, _number(), "STOP") == expected(account, "fr", EventKind.OPT_OUT)


def test_a_stop_that_leaves_the_number_allowed_is_not_confirmed(http, account):
    """The business took the number off the list after the person sent STOP; the STOP,
    delivered late, is older and so does not stop it: "you are unsubscribed" would be false."""
    number = _number()
    api = {"apiKey": account.api_key}
    added = http.post("/v1/stop-sms/add", json={**api, "phoneNumber": number})
    assert added.status_code == 200, added.text
    removed = http.post("/v1/stop-sms/delete", json={**api, "id": added.json()["stopId"]})
    assert removed.status_code == 200, removed.text
    sent_before_the_removal = clock.now_us() - 10 * 60 * clock.MICROS
    answer = http.post(
        _path(account, "generic"),
        json={
            "from": number,
            "text": "STOP",
            "id": uuid.uuid4().hex,
            "timestamp": clock.from_us(sent_before_the_removal).isoformat(),
        },
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["type"] == "opt_out"
    assert answer.json()["stopped"] is False
    assert answer.json()["reply"] is None
    # Sent after the removal, a STOP stops the number and is confirmed.
    again = post_json(http, account, "generic", number, "STOP")
    assert again["stopped"] is True
    assert again["reply"] == expected(account, "fr", EventKind.OPT_OUT)
