"""Confirmations: the one message a person gets back after STOP, START or HELP.

CTIA expects one confirmation after an opt-out, and the FCC's 2024 order
allows at most one, without marketing; a START or a HELP deserves an answer
too. Each account has a text per kind (opt-out, opt-in, help) and language
(the seven of ``domain.keywords``), a default in every language naming the
account's sender (``{sender}``), which the account may replace.

The reply is in the language the keyword was recognised in: "ARRÊT" gets
French, "BAJA" Spanish, "please stop texting me" English. A keyword shared by
several languages ("stop", "info") takes the language of the account's
default region when that is one of them, else the first.

Two rules decide whether anything is sent, checked in the transaction that
records the event, under the account's list lock (so two deliveries of
STOP at once cannot both pass): at most one confirmation per number and
kind in ``QUIET_PERIOD``, and never to a stopped number, except the opt-out
confirmation itself, which in turn only a stopped number gets (an older STOP
delivered late does not outrank a later removal). A message delivered again
gets the reply its first delivery got (a provider retrying a webhook whose
answer it lost), and nothing new is recorded.

How it reaches the person: by default the provider's webhook answer
carries it (TwiML ``<Message>`` for Twilio, ``reply`` in the JSON answers),
for the provider or the caller to send. When the account gives an SMS
Partner API key, stoplist sends it itself: the confirmation is written to
the outbox in the same transaction as the event, and
``stoplist.outbound.confirmations`` posts it to SMS Partner's ``/v1/send``,
claimed and retried exactly like a webhook delivery (``domain.webhooks``).

Over 400 lines on purpose: the texts, the choice of language, the
24-hour rule and the outbox's entries are one policy, each part short and
reading the others'.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from sqlalchemy import Connection

from stoplist.domain import clock
from stoplist.domain.errors import ConfirmationValueLength, UnknownConfirmation
from stoplist.domain.keywords import keyword_languages
from stoplist.domain.reasonable_means import LANGUAGES
from stoplist.domain.webhooks import DEFAULT_LEASE, DEFAULT_RETRY_BASE, RETRY_WINDOW, retry_delay
from stoplist.domain.webhooks import AttemptResult as AttemptResult
from stoplist.records.events import EventKind
from stoplist.records.models import Account
from stoplist.storage import confirmations as store
from stoplist.storage.confirmations import ConfirmationRow
from stoplist.storage.database import Database

KINDS: tuple[EventKind, ...] = (EventKind.OPT_OUT, EventKind.OPT_IN, EventKind.HELP)
SENDER = "{sender}"
"""Where a text names the account's sender."""
QUIET_PERIOD = 24 * 3600 * clock.MICROS
"""At most one confirmation per number and kind this often."""
MAX_TEXT = 480
"""Three SMS of GSM-7: a confirmation says one thing."""
MAX_SENDER = 40
MAX_KEY = 200
SMSPARTNER_SENDER = re.compile(r"[A-Za-z0-9]{3,11}")
"""What SMS Partner accepts as ``sender``; any other name is left for its default."""

_T = EventKind
DEFAULT_TEXTS: Mapping[str, Mapping[EventKind, str]] = MappingProxyType({
    "en": {
        _T.OPT_OUT: "{sender}: you are unsubscribed and will get no more messages from us.",
        _T.OPT_IN: "{sender}: you are subscribed again. Reply STOP to unsubscribe.",
        _T.HELP: "{sender}: reply STOP to unsubscribe, START to subscribe again.",
    },
    "fr": {
        _T.OPT_OUT: "{sender} : votre désinscription est enregistrée, vous ne recevrez plus "
        "de messages de notre part.",
        _T.OPT_IN: "{sender} : votre inscription est rétablie. Répondez STOP pour vous "
        "désinscrire.",
        _T.HELP: "{sender} : répondez STOP pour ne plus recevoir nos messages, START pour "
        "les recevoir à nouveau.",
    },
    "es": {
        _T.OPT_OUT: "{sender}: se ha dado de baja y no recibirá más mensajes nuestros.",
        _T.OPT_IN: "{sender}: se ha suscrito de nuevo. Responda BAJA para darse de baja.",
        _T.HELP: "{sender}: responda BAJA para no recibir más mensajes, ALTA para volver a "
        "recibirlos.",
    },
    "de": {
        _T.OPT_OUT: "{sender}: Sie sind abgemeldet und erhalten keine Nachrichten mehr von uns.",
        _T.OPT_IN: "{sender}: Sie sind wieder angemeldet. Antworten Sie STOPP, um sich "
        "abzumelden.",
        _T.HELP: "{sender}: Antworten Sie STOPP, um keine Nachrichten mehr zu erhalten, "
        "START, um sie wieder zu erhalten.",
    },
    "it": {
        _T.OPT_OUT: "{sender}: la sua cancellazione è registrata, non riceverà più messaggi "
        "da noi.",
        _T.OPT_IN: "{sender}: la sua iscrizione è di nuovo attiva. Risponda STOP per "
        "cancellarsi.",
        _T.HELP: "{sender}: risponda STOP per non ricevere più messaggi, START per riceverli "
        "di nuovo.",
    },
    "pt": {
        _T.OPT_OUT: "{sender}: o seu cancelamento foi registado e não receberá mais "
        "mensagens nossas.",
        _T.OPT_IN: "{sender}: a sua subscrição foi reativada. Responda SAIR para cancelar.",
        _T.HELP: "{sender}: responda SAIR para deixar de receber mensagens, VOLTAR para "
        "voltar a recebê-las.",
    },
    "nl": {
        _T.OPT_OUT: "{sender}: u bent afgemeld en ontvangt geen berichten meer van ons.",
        _T.OPT_IN: "{sender}: u bent weer aangemeld. Antwoord STOP om u af te melden.",
        _T.HELP: "{sender}: antwoord STOP om geen berichten meer te ontvangen, START om ze "
        "weer te ontvangen.",
    },
})  # fmt: skip

_REGION_LANGUAGES: Mapping[str, str] = MappingProxyType({
    **dict.fromkeys(("FR", "BE", "LU", "MC", "CH", "RE", "GP", "MQ", "GF", "YT", "NC", "PF",
                     "SN", "CI", "MA", "TN", "DZ"), "fr"),
    **dict.fromkeys(("ES", "MX", "AR", "CO", "CL", "PE", "VE", "EC", "UY", "PY", "BO", "CR",
                     "PA", "DO", "GT", "HN", "SV", "NI", "CU"), "es"),
    **dict.fromkeys(("DE", "AT", "LI"), "de"),
    **dict.fromkeys(("IT", "SM", "VA"), "it"),
    **dict.fromkeys(("PT", "BR", "AO", "MZ", "CV"), "pt"),
    **dict.fromkeys(("NL", "SR", "AW", "CW"), "nl"),
})  # fmt: skip
"""The language of a region's people, for a keyword every language shares."""


def region_language(region: str) -> str:
    """The account's language, as its default region suggests (English otherwise)."""
    return _REGION_LANGUAGES.get(region.upper(), "en")


def reply_language(account: Account, keyword: str | None, recognised: str | None = None) -> str:
    """The language to answer in: the keyword's, the sentence's, or the account's region's."""
    if recognised in LANGUAGES:
        assert recognised is not None
        return recognised
    own = region_language(account.default_region)
    languages = keyword_languages(keyword) if keyword else ()
    if not languages or own in languages:
        return own
    return languages[0]


@dataclass(frozen=True, slots=True)
class Reply:
    """A confirmation due to a person: its text, and whether stoplist sends it itself."""

    kind: EventKind
    language: str
    text: str
    queued: bool
    """True: it is in the outbox for SMS Partner; the webhook's answer carries none."""

    @property
    def inline(self) -> str | None:
        """The text the provider's answer carries (None when stoplist sends it)."""
        return None if self.queued else self.text


def given(reply: Reply | None) -> tuple[str | None, bool]:
    """What an answer says of a confirmation: the text for the caller to send, and whether
    stoplist sends it itself (``reply`` and ``replyQueued`` on the wire)."""
    return (reply.inline if reply else None), reply is not None and reply.queued


@dataclass(frozen=True, slots=True)
class ConfirmationSettings:
    """What an account confirms with; the key itself is never handed out, only its end."""

    enabled: bool
    sender: str
    sender_set: bool
    smspartner_key_hint: str | None
    """``…`` and the key's last four characters, when a key is kept."""

    @property
    def sends_itself(self) -> bool:
        return self.smspartner_key_hint is not None


@dataclass(frozen=True, slots=True)
class Text:
    kind: EventKind
    language: str
    text: str
    custom: bool


def _kind(value: str | EventKind) -> EventKind:
    names = tuple(kind.value for kind in KINDS)
    raw = value.value if isinstance(value, EventKind) else value.strip().lower().replace("-", "_")
    if raw not in names:
        raise UnknownConfirmation(str(value), names)
    return EventKind(raw)


def _language(value: str) -> str:
    language = value.strip().lower()
    if language not in LANGUAGES:
        raise UnknownConfirmation(value, LANGUAGES)
    return language


def _bounded(value: str, limit: int) -> str:
    value = value.strip()
    if not value or len(value) > limit:
        raise ConfirmationValueLength(limit)
    return value


def _hint(key: str | None) -> str | None:
    """``…`` and the key's last four characters; a key too short to spare four shows none."""
    if key is None:
        return None
    return "…" + key[-4:] if len(key) >= _HINT_LEAST else "…"


_HINT_LEAST = 12


class Confirmations:
    """One account's confirmation settings and texts, and what it was sent lately."""

    def __init__(self, db: Database, account: Account) -> None:
        self.db = db
        self.account = account

    def settings(self) -> ConfirmationSettings:
        with self.db.read() as conn:
            found = store.find_settings(conn, self.account.id)
        return _settings(self.account, found)

    def update(
        self,
        *,
        enabled: bool | None = None,
        sender: str | None = None,
        smspartner_key: str | None = None,
        forget_smspartner_key: bool = False,
    ) -> ConfirmationSettings:
        """Change what is given; an empty ``sender`` goes back to the account's name."""
        values: dict[str, object] = {}
        if enabled is not None:
            values["enabled"] = enabled
        if sender is not None:
            values["sender"] = _bounded(sender, MAX_SENDER) if sender.strip() else None
        if forget_smspartner_key:
            values["smspartner_key"] = None
        elif smspartner_key is not None:
            values["smspartner_key"] = _bounded(smspartner_key, MAX_KEY)
        if values:
            with self.db.write() as conn:
                store.save_settings(conn, self.account.id, clock.now_us(), **values)
        return self.settings()

    def texts(self) -> list[Text]:
        """Every kind in every language: the account's text where it has one, else the default."""
        with self.db.read() as conn:
            own = store.texts(conn, self.account.id)
        return [
            Text(kind, language, own.get((kind.value, language), DEFAULT_TEXTS[language][kind]),
                 (kind.value, language) in own)
            for kind in KINDS
            for language in LANGUAGES
        ]  # fmt: skip

    def set_text(self, kind: str | EventKind, language: str, text: str | None) -> Text:
        """Keep the account's own text; None (or the default itself) goes back to the default."""
        checked_kind, checked_language = _kind(kind), _language(language)
        default = DEFAULT_TEXTS[checked_language][checked_kind]
        value = None if text is None else _bounded(text, MAX_TEXT)
        if value == default:
            value = None
        with self.db.write() as conn:
            store.save_text(
                conn, self.account.id, checked_kind.value, checked_language, value, clock.now_us()
            )
        return Text(checked_kind, checked_language, value or default, value is not None)

    def preview(self, kind: str | EventKind, language: str) -> str:
        """The text as a person would read it, sender named."""
        checked_kind, checked_language = _kind(kind), _language(language)
        with self.db.read() as conn:
            return _text_in(conn, self.account, checked_kind, checked_language)[0]

    def given_for(self, event_id: int) -> Reply | None:
        """The confirmation given for one of the account's events (None: none was)."""
        with self.db.read() as conn:
            row = store.for_event(conn, self.account.id, event_id)
        if row is None:
            return None
        queued = row.channel == store.SMSPARTNER
        return Reply(EventKind(row.kind), row.language, row.text, queued)

    def recent(self, limit: int = 20) -> list[ConfirmationRow]:
        with self.db.read() as conn:
            return store.recent(conn, self.account.id, limit)


def _settings(account: Account, found: store.SettingsRow | None) -> ConfirmationSettings:
    if found is None:
        return ConfirmationSettings(True, account.name, False, None)
    return ConfirmationSettings(
        found.enabled,
        found.sender or account.name,
        found.sender is not None,
        _hint(found.smspartner_key),
    )


def _text_in(
    conn: Connection, account: Account, kind: EventKind, language: str
) -> tuple[str, store.SettingsRow | None]:
    found = store.find_settings(conn, account.id)
    template = store.texts(conn, account.id).get(
        (kind.value, language), DEFAULT_TEXTS[language][kind]
    )
    sender = (found.sender if found else None) or account.name
    return template.replace(SENDER, sender), found


def reply_in(
    conn: Connection,
    account: Account,
    *,
    phone_number: str,
    kind: EventKind | None,
    language: str,
    event_id: int,
    duplicate: bool,
    stopped: bool,
    inline: bool = True,
) -> Reply | None:
    """The confirmation due for an event just recorded, written down; None when none is.

    Call it in the transaction that records the event, with the account's
    list locked: the 24-hour rule is then decided by one writer at a time,
    and a queued send commits (or rolls back) with the event. ``inline=False``
    (the provider's request was answered long ago) gives only a confirmation
    stoplist sends itself: one that would go in the answer is not due, and
    not written down as given.
    """
    if kind not in KINDS:
        return None
    assert kind is not None
    if duplicate:
        earlier = store.for_event(conn, account.id, event_id)
        if earlier is None or earlier.channel != store.INLINE:
            return None
        return Reply(kind, earlier.language, earlier.text, queued=False)
    if not _may_confirm(kind, stopped=stopped):
        return None
    now = clock.now_us()
    last = store.last_given(conn, account.id, phone_number, kind.value)
    if last is not None and last > now - QUIET_PERIOD:
        return None
    text, found = _text_in(conn, account, kind, language)
    if found is not None and not found.enabled:
        return None
    queued = found is not None and found.smspartner_key is not None
    if not queued and not inline:
        return None
    sender = (found.sender if found else None) or account.name
    store.insert_confirmation(
        conn,
        account_id=account.id,
        phone_number=phone_number,
        kind=kind.value,
        language=language,
        text=text,
        event_id=event_id,
        channel=store.SMSPARTNER if queued else store.INLINE,
        status=store.PENDING if queued else store.ANSWERED,
        sender=sender if SMSPARTNER_SENDER.fullmatch(sender) else None,
        next_attempt_at=now if queued else None,
        created_at=now,
    )
    return Reply(kind, language, text, queued)


def _may_confirm(kind: EventKind, *, stopped: bool) -> bool:
    """Whether a number the event left ``stopped`` (or not) may get a confirmation of ``kind``.

    A stopped number gets nothing but the opt-out confirmation, and that one
    only a stopped number: the latest event time wins, so a STOP sent before
    the business took the number off the list (and delivered after) leaves it
    allowed, and a START does not lift a stop the API made. "You are
    unsubscribed" or "you are subscribed again" would then be false.
    """
    if kind is EventKind.OPT_OUT:
        return stopped
    return not stopped


@dataclass(frozen=True, slots=True)
class ClaimedSend:
    """A confirmation this process holds until its lease ends, with the key to send it."""

    confirmation: ConfirmationRow
    api_key: str


class SendOutbox:
    """Claiming due confirmations and recording what became of them.

    The same lease, backoff and retry window as webhook deliveries
    (``domain.webhooks.Outbox``): a send that keeps failing is retried for
    ``RETRY_WINDOW``, then marked failed. A confirmation whose account has
    since dropped its key is marked failed at once, unsent.
    """

    def __init__(
        self,
        db: Database,
        *,
        lease_seconds: float = DEFAULT_LEASE,
        retry_base: float = DEFAULT_RETRY_BASE,
    ) -> None:
        self.db = db
        self.lease = int(lease_seconds * clock.MICROS)
        self.retry_base = retry_base

    def backlog(self) -> tuple[int, float]:
        """Confirmations waiting to be sent, and the age in seconds of the oldest (0: none)."""
        with self.db.read() as conn:
            count, oldest = store.pending_backlog(conn)
        age = (clock.now_us() - oldest) / clock.MICROS if oldest is not None else 0.0
        return count, max(age, 0.0)

    def claim_due(self, limit: int = 50) -> list[ClaimedSend]:
        now = clock.now_us()
        with self.db.read() as conn:
            candidates = store.due_ids(conn, now, limit)
        if not candidates:
            return []
        claimed: list[ClaimedSend] = []
        with self.db.write() as conn:
            for confirmation_id in candidates:
                if not store.claim(conn, confirmation_id, now, now + self.lease):
                    continue
                row = store.find(conn, confirmation_id)
                assert row is not None
                found = store.find_settings(conn, row.account_id)
                if found is None or found.smspartner_key is None:
                    store.finish_attempt(
                        conn, row.id, attempted_at=now, status_code=None,
                        error="no SMS Partner key", status=store.FAILED, next_attempt_at=None,
                    )  # fmt: skip
                    continue
                claimed.append(ClaimedSend(row, found.smspartner_key))
        return claimed

    def complete(self, outcomes: list[tuple[ClaimedSend, AttemptResult]]) -> list[str]:
        """Record a batch of attempts in one transaction; returns each one's new status."""
        now = clock.now_us()
        statuses = []
        with self.db.write() as conn:
            for claimed, result in outcomes:
                row = claimed.confirmation
                next_attempt_at = None
                if result.ok and result.error is None:
                    status = store.DELIVERED
                else:  # SMS Partner may answer 200 with ``"success": false``
                    next_attempt_at = now + retry_delay(row.attempts + 1, self.retry_base)
                    within = next_attempt_at <= row.created_at + RETRY_WINDOW
                    status = store.PENDING if within else store.FAILED
                store.finish_attempt(
                    conn,
                    row.id,
                    attempted_at=now,
                    status_code=result.status_code,
                    error=result.error,
                    status=status,
                    next_attempt_at=next_attempt_at,
                )
                statuses.append(status)
        return statuses
