"""From a provider's message to an event on a number's history.

Provider adapters (``stoplist.inbound``) only parse requests into an
``InboundMessage``; everything that decides what the message *means* is here:
which keyword set applies, that SMS Partner's ``type: "stop"`` and Twilio's
``OptOutType`` win over the text, that opt-in keywords may be switched off,
and how the parts of a long message are put back together before anyone
reads them.

The module is longer than most because every step of one message (its
parts, its keyword, a possible opt-out, the review queue, the reply) runs
in one transaction under the list's lock, and reads best in one place: the
pieces that stand alone already live elsewhere (``keywords``, ``review``,
``confirmations``, ``reasonable_means``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import orjson
from sqlalchemy import Connection

from stoplist.domain import clock, confirmations, required_keywords, review, webhooks
from stoplist.domain.confirmations import Reply
from stoplist.domain.errors import (
    KeywordNotFound,
    NotAKeywordAction,
    ParameterRefused,
    ParameterRule,
)
from stoplist.domain.keywords import (
    NOT_A_KEYWORD,
    Classification,
    KeywordSet,
    normalize_keyword,
    parse_action,
)
from stoplist.domain.reasonable_means import Recognised, recognise
from stoplist.domain.stops import Recorded, StopList
from stoplist.observability import metrics
from stoplist.records.events import EventKind, NewEvent, Source
from stoplist.records.models import Account
from stoplist.storage import accounts as account_store
from stoplist.storage import events as event_store
from stoplist.storage import inbound_parts as part_store
from stoplist.storage import keywords as keyword_store
from stoplist.storage.database import Database
from stoplist.storage.text import storable

MAX_PARTS = 16
PART_RETENTION = 3 * 86_400 * clock.MICROS
"""Parts are kept this long, so that a part delivered again is still recognised."""
INCOMPLETE_WAIT = 15 * 60 * clock.MICROS
"""How long after its last part a long message missing parts is recorded as it is."""
MAX_LATENESS = 48 * 3600 * clock.MICROS
"""Providers deliver up to 48 hours late; an older send time is not believed."""
MAX_CLOCK_AHEAD = 5 * 60 * clock.MICROS
"""A provider clock may run a little ahead; further ahead, its time is not believed."""


@dataclass(frozen=True, slots=True)
class Part:
    """Where one segment of a long (concatenated) SMS belongs."""

    ref: str
    number: int
    total: int


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """A message a person sent, as a provider reported it, in neutral form."""

    provider: str
    sender: str
    text: str
    recipient: str | None = None
    message_id: str | None = None
    sent_at: int | None = None
    """When the provider says it was sent, if it said and we could read it."""
    sent_at_raw: str | None = None
    """The provider's time field as sent, whatever it held (kept when not believed)."""
    forced: EventKind | None = None
    """The provider already decided (SMS Partner ``type: stop``, Twilio ``OptOutType``)."""
    part: Part | None = None
    signature_verified: bool | None = None
    """Whether the request's signature was required and checked (None: not told)."""
    received_at: int | None = None
    """When it reached us: set as it is received, kept while it waits in the spool."""

    def __post_init__(self) -> None:
        # A blank id names no message: kept, it would make every later message
        # with a blank id the first one's duplicate (or collide with it).
        if self.message_id is not None and not self.message_id.strip():
            object.__setattr__(self, "message_id", None)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of a message: recorded, or waiting for its other parts."""

    phone_number: str
    kind: EventKind | None
    recorded: Recorded | None
    review_item: int | None = None
    """The possible opt-out this message was queued as, for a person to decide."""
    reply: Reply | None = None
    """The confirmation due to the sender, if any (``domain.confirmations``)."""
    spooled: bool = False
    """Kept on disk to be recorded once the list's lock is free (``domain.inbound_spool``)."""

    @property
    def pending(self) -> bool:
        return self.recorded is None

    @property
    def answer_type(self) -> str | None:
        """The ``type`` of the JSON answer: what the message meant, or ``review`` when queued."""
        if self.review_item is not None:
            return REVIEW
        return self.kind.value if self.kind else None

    @property
    def verdict(self) -> str:
        """``spooled``, ``pending``, ``duplicate``, ``review``, or what the message meant
        (``opt_out``...)."""
        if self.spooled:
            return "spooled"
        if self.recorded is None:
            return "pending"
        if self.recorded.duplicate:
            return "duplicate"
        return self.answer_type or EventKind.REPLY.value


REVIEW = "review"


class AccountKeywords:
    """An account's changes to the built-in keyword lists."""

    def __init__(self, db: Database, account: Account) -> None:
        self.db = db
        self.account = account

    def overrides(self) -> dict[str, EventKind | None]:
        with self.db.read() as conn:
            stored = keyword_store.overrides(conn, self.account.id)
        return {keyword: parse_action(action) for keyword, action in stored.items()}

    def keyword_set(self) -> KeywordSet:
        return KeywordSet.built_in().with_overrides(self.overrides())

    def add(self, keyword: str, kind: EventKind, *, force: bool = False) -> str:
        """Make ``keyword`` mean ``kind`` for this account; returns its normalised form."""
        return self.add_all([keyword], kind, force=force)[0]

    def add_all(
        self, keywords: Sequence[str], kind: EventKind, *, force: bool = False
    ) -> list[str]:
        """``add`` for several keywords at once: all of them, or none when one is refused.

        A required opt-out (STOP, ARRÊT...) cannot mean anything else unless
        ``force`` (``domain.required_keywords``).
        """
        if not kind.changes_state and kind is not EventKind.HELP:
            raise NotAKeywordAction()
        normalized = list(dict.fromkeys(normalize_keyword(keyword) for keyword in keywords))
        for word in normalized:
            required_keywords.check_change(word, kind, force=force)
        with self.db.write() as conn:
            for word in normalized:
                keyword_store.upsert(conn, self.account.id, word, kind.value, clock.now_us())
        return normalized

    def remove(self, keyword: str, *, force: bool = False) -> str:
        """Stop treating ``keyword`` as a keyword (built-in or added) for this account."""
        return self.remove_all([keyword], force=force)[0]

    def remove_all(self, keywords: Sequence[str], *, force: bool = False) -> list[str]:
        """``remove`` for several keywords at once: all of them, or none when one is refused.

        A keyword that is not one for this account is refused rather than
        reported removed, so a typo is not taken for a change; a required
        opt-out (STOP, ARRÊT...) is kept unless ``force``.
        """
        normalized = list(dict.fromkeys(normalize_keyword(keyword) for keyword in keywords))
        for word in normalized:
            required_keywords.check_change(word, None, force=force)
        built_in = KeywordSet.built_in().actions
        with self.db.write() as conn:
            stored = keyword_store.overrides(conn, self.account.id)
            for word in normalized:
                in_force = stored[word] != NOT_A_KEYWORD if word in stored else word in built_in
                if not in_force:
                    raise KeywordNotFound(word)
            for word in normalized:
                keyword_store.remove(conn, self.account.id, word)
                if word in built_in:
                    keyword_store.upsert(conn, self.account.id, word, NOT_A_KEYWORD, clock.now_us())
        return normalized

    def reset(self, keyword: str) -> str:
        """Forget this account's change to ``keyword``: the built-in meaning applies again."""
        normalized = normalize_keyword(keyword)
        with self.db.write() as conn:
            keyword_store.remove(conn, self.account.id, normalized)
        return normalized


class Inbound:
    """Receiving messages for one account."""

    def __init__(self, db: Database, account: Account) -> None:
        self.db = db
        self.account = account
        self.stop_list = StopList(db, account)

    def receive(
        self,
        message: InboundMessage,
        *,
        lock_wait: float | None = None,
        answered: bool = True,
        also: Callable[[Connection], None] | None = None,
    ) -> Outcome:
        """Record ``message`` (once) and apply it; the event is committed on return.

        Raises the contract's phone-number errors for a sender that is not a
        number. ``lock_wait`` bounds, in seconds, the wait for the list's
        lock (the database's error says when it ran out); ``answered=False``
        says that no one waits for the answer, so a confirmation can only be
        sent, never given inline. ``also`` runs in the same transaction, after
        the message is recorded (a spooled message lets go of its hold).
        """
        number = self.stop_list.normalize_sender(message.sender)
        check_part(message)
        keywords = AccountKeywords(self.db, self.account).keyword_set()
        # Dated when it arrived, not when the lock let it in: messages that waited
        # (for the lock, or in the spool) keep the order in which they came.
        arrived = clock.now_us() if message.received_at is None else message.received_at
        message = replace(
            message, received_at=arrived, sent_at=trusted_send_time(message.sent_at, arrived)
        )
        with self.db.write(lock_wait=lock_wait) as conn:
            self.db.lock_list(conn, self.account.id)
            if message.part is not None and message.part.total > 1:
                complete = _assemble(conn, self.stop_list, number, message)
                if complete is None:
                    return Outcome(number, None, None)
                message = complete
            classification = self.classify(message, keywords)
            found = self._reasonable_means(message, classification)
            mode = review.mode_of(self.account)
            if found is not None and mode is review.Mode.OPTOUT:
                classification = Classification(EventKind.OPT_OUT)
            event = self._event(number, message, classification, found, mode)
            recorded = self.stop_list.record_in(conn, event)
            if recorded.erased and message.part is not None and message.part.total > 1:
                # Kept parts name the sender and hold the text: an erased number's go.
                part_store.forget(conn, self.account.id, message.provider, number, message.part.ref)
            if also is not None:
                also(conn)
            item = None
            if found is not None and mode is review.Mode.REVIEW and not recorded.erased:
                item = review.queue_in(
                    conn,
                    self.account,
                    phone_number=number,
                    event_id=recorded.event_id,
                    message_at=_event_time(conn, recorded.event_id),
                    text=message.text,
                    found=found,
                    duplicate=recorded.duplicate,
                )
            # Nothing of an erased number is written again: no review item, no reply.
            reply = (
                None
                if recorded.erased
                else confirmations.reply_in(
                    conn,
                    self.account,
                    phone_number=number,
                    kind=classification.kind,
                    language=_reply_language(
                        self.account, message, classification, found, keywords
                    ),
                    event_id=recorded.event_id,
                    duplicate=recorded.duplicate,
                    stopped=recorded.stop_after is not None,
                    inline=answered,
                )
            )
        if recorded.changed:
            webhooks.wake()
            metrics.stop_changed(recorded.stop_after is not None, Source.SMS)
        elif reply is not None and reply.queued:
            webhooks.wake()  # the outbox sender shares the dispatcher's wake-up
        return Outcome(number, classification.kind, recorded, item, reply)

    def expects_opt_out(self, message: InboundMessage) -> bool:
        """Whether recording ``message`` would stop its sender, read without the list's lock.

        For a message that must wait: a STOP is held meanwhile. A part of a
        long message tells nothing until the whole of it is in: the part
        that completes one is read as the whole message.
        """
        if message.part is not None and message.part.total > 1:
            whole = self._completed_by(message)
            if whole is None:
                return False
            message = whole
        keywords = AccountKeywords(self.db, self.account).keyword_set()
        classification = self.classify(message, keywords)
        if classification.kind is EventKind.OPT_OUT:
            return True
        found = self._reasonable_means(message, classification)
        return found is not None and review.mode_of(self.account) is review.Mode.OPTOUT

    def _completed_by(self, message: InboundMessage) -> InboundMessage | None:
        """The long message that ``message``, one of its parts, would complete, if any."""
        part = message.part
        assert part is not None
        number = self.stop_list.normalize_sender(message.sender)
        with self.db.read() as conn:
            stored = part_store.parts(conn, self.account.id, message.provider, number, part.ref)
        texts = {row.part: row.text for row in stored if row.total == part.total}
        texts[part.number] = message.text
        if set(texts) != set(range(1, part.total + 1)):
            return None
        return replace(message, text="".join(texts[position] for position in sorted(texts)))

    def _reasonable_means(
        self, message: InboundMessage, classification: Classification
    ) -> Recognised | None:
        """The classifier's reading, when the account wants one and no keyword decided."""
        if classification.kind is not EventKind.REPLY or message.forced:
            return None
        if review.mode_of(self.account) is review.Mode.OFF:
            return None
        return recognise(message.text)

    def flush(self, provider: str, number: str, ref: str, quiet_since: int) -> bool:
        """Record a long message whose missing parts never came, as a plain reply.

        A fragment is never read for keywords: a message long enough to be
        split is not a bare STOP, and half a sentence must not stop anyone.
        The history keeps what arrived. True when something was recorded.
        """
        with self.db.write() as conn:
            self.db.lock_list(conn, self.account.id)
            stored = part_store.parts(conn, self.account.id, provider, number, ref)
            if not stored or len(stored) >= stored[0].total:
                return False
            if max(row.received_at for row in stored) >= quiet_since:
                return False
            if not part_store.insert_part(
                conn,
                self.account.id,
                provider=provider,
                sender=number,
                concat_ref=ref,
                part=part_store.FLUSHED,
                total=stored[0].total,
                text="",
                payload="{}",
                received_at=clock.now_us(),
            ):
                return False  # flushed already
            event = _incomplete_reply(provider, number, stored)
            if self.stop_list.record_in(conn, event).erased:
                part_store.forget(conn, self.account.id, provider, number, ref)
        return True

    def classify(self, message: InboundMessage, keywords: KeywordSet) -> Classification:
        found = (
            Classification(message.forced) if message.forced else keywords.classify(message.text)
        )
        if found.kind is EventKind.OPT_IN and not self.account.opt_in_keywords_enabled:
            return Classification(EventKind.REPLY, found.keyword)
        return found

    def _event(
        self,
        number: str,
        message: InboundMessage,
        classification: Classification,
        found: Recognised | None = None,
        mode: review.Mode = review.DEFAULT_MODE,
    ) -> NewEvent:
        details: dict[str, object] = {}
        actor = reason = None
        if found is not None:
            details["reasonableMeans"] = {**review.recognised_details(found), "mode": mode.value}
            if mode is review.Mode.OPTOUT:
                actor, reason = review.AUTOMATIC_ACTOR, review.automatic_reason(found)
        if message.recipient:
            details["to"] = message.recipient
        if classification.keyword:
            details["keyword"] = classification.keyword
        if message.forced:
            details["providerDecision"] = message.forced.value
        if message.part is not None:
            details["parts"] = message.part.total
        if message.signature_verified is not None:
            details["signatureVerified"] = message.signature_verified
        return NewEvent(
            phone_number=number,
            kind=classification.kind,
            source=Source.SMS,
            event_at=message.sent_at,
            provider=message.provider,
            provider_message_id=message.message_id,
            text=message.text,
            actor=actor,
            reason=reason,
            details=details,
            provider_time_raw=message.sent_at_raw if message.sent_at is None else None,
            received_at=message.received_at,
        )


def _reply_language(
    account: Account,
    message: InboundMessage,
    classification: Classification,
    found: Recognised | None,
    keywords: KeywordSet,
) -> str:
    """The language of what decided: the keyword, the sentence, or the text a provider read."""
    keyword = classification.keyword
    if keyword is None and message.forced:
        keyword = keywords.classify(message.text).keyword
    return confirmations.reply_language(account, keyword, found.language if found else None)


def _event_time(conn: Connection, event_id: int) -> int:
    """The time the event was recorded at (the provider's send time when believed)."""
    found = event_store.event_time(conn, event_id)
    assert found is not None
    return found


def trusted_send_time(sent_at: int | None, now: int) -> int | None:
    """``sent_at`` if it is a believable send time for a message arriving ``now``.

    A time more than ``MAX_LATENESS`` old or ``MAX_CLOCK_AHEAD`` ahead is a
    provider's bug or a forgery: trusting it would let an old message
    outrank newer ones (or never be outranked) and could not even be shown.
    The message is then recorded at its arrival; the raw value is kept.
    """
    if sent_at is None or not now - MAX_LATENESS <= sent_at <= now + MAX_CLOCK_AHEAD:
        return None
    return sent_at


def check_part(message: InboundMessage) -> None:
    """Refuse a part whose position or count no long message can have (before any writing)."""
    part = message.part
    if part is not None and not 1 <= part.number <= part.total <= MAX_PARTS:
        raise ParameterRefused(ParameterRule.PART_OUT_OF_RANGE, limit=MAX_PARTS)


def _assemble(
    conn: Connection, stop_list: StopList, number: str, message: InboundMessage
) -> InboundMessage | None:
    """Store one part; once every part is in, the whole message (else None).

    The assembled message carries the id of its first part, the earliest
    send time of its parts, and the provider's decision if any part had one.
    A part seen before (same sender, reference and position, the same text,
    count and id) changes nothing, so a redelivered part never produces a
    second event. A different part in a stored part's place is another
    message under the same reference: phones number long messages modulo
    256 across everything they send, so a reference comes back within days.
    The stored message gives way to it (recorded as it is if it was still
    missing parts), and the new one is assembled from its own parts.
    """
    part = message.part
    assert part is not None
    account = stop_list.account
    now = clock.now_us()
    part_store.purge(conn, account.id, now - PART_RETENTION)
    group = (account.id, message.provider, number, part.ref)
    seen = part_store.stored_part(conn, *group, part.number)
    if seen is not None:
        if _redelivered(seen, message):
            return None
        _give_way(conn, stop_list, message.provider, number, part.ref)
    part_store.insert_part(
        conn,
        account.id,
        provider=message.provider,
        sender=number,
        concat_ref=part.ref,
        part=part.number,
        total=part.total,
        text=message.text,
        payload=orjson.dumps(_part_payload(message)).decode(),
        received_at=now if message.received_at is None else message.received_at,
    )
    stored = part_store.parts(conn, *group)
    positions = {row.part for row in stored}
    if positions != set(range(1, part.total + 1)) or len(stored) != part.total:
        return None
    payloads = [orjson.loads(row.payload) for row in stored]
    first = payloads[0]
    sent = [p["sentAt"] for p in payloads if p.get("sentAt") is not None]
    forced = next((p["forced"] for p in payloads if p.get("forced")), None)
    raw = next((p["sentAtRaw"] for p in payloads if p.get("sentAtRaw") is not None), None)
    began = min(row.received_at for row in stored)
    return InboundMessage(
        provider=message.provider,
        sender=message.sender,
        text="".join(row.text for row in stored),
        recipient=message.recipient,
        # Not the sender: the chain hashes the id as it is, so an erasure could not remove it.
        # The first part's arrival tells apart the messages that share a reference.
        message_id=first.get("messageId") or f"concat:{part.ref}:{began}",
        sent_at=min(sent) if sent else None,
        sent_at_raw=raw,
        forced=EventKind(forced) if forced else None,
        part=part,
        signature_verified=(
            all(p.get("signatureVerified") is True for p in payloads)
            if message.signature_verified is not None
            else None
        ),
        # The part that completed it arrived last: the whole message arrived then.
        received_at=message.received_at,
    )


def _redelivered(seen: Any, message: InboundMessage) -> bool:
    """Whether ``message`` is the stored part ``seen`` delivered again."""
    part = message.part
    assert part is not None
    stored_id = orjson.loads(seen.payload).get("messageId")
    if stored_id and message.message_id and stored_id != message.message_id:
        return False
    return bool(seen.total == part.total and seen.text == storable(message.text))


def _give_way(conn: Connection, stop_list: StopList, provider: str, number: str, ref: str) -> None:
    """Take a stored long message out of the way of a new one with the same reference.

    One still missing parts, and never recorded, is recorded as it is first
    (as ``flush_incomplete`` would have), so its history is not lost.
    """
    account_id = stop_list.account.id
    stored = part_store.parts(conn, account_id, provider, number, ref)
    flushed = part_store.stored_part(conn, account_id, provider, number, ref, part_store.FLUSHED)
    if stored and flushed is None and len(stored) < stored[0].total:
        stop_list.record_in(conn, _incomplete_reply(provider, number, stored))
    part_store.forget(conn, account_id, provider, number, ref)


def _incomplete_reply(provider: str, number: str, stored: list[Any]) -> NewEvent:
    """A long message missing parts, as the reply it is: never a STOP (see ``Inbound.flush``)."""
    payloads = [orjson.loads(row.payload) for row in stored]
    sent = [p["sentAt"] for p in payloads if p.get("sentAt") is not None]
    return NewEvent(
        phone_number=number,
        kind=EventKind.REPLY,
        source=Source.SMS,
        event_at=min(sent) if sent else None,
        provider=provider,
        text=_with_gaps(stored),
        details={
            "incomplete": True,
            "parts": stored[0].total,
            "partsReceived": [row.part for row in stored],
            "messageIds": [p.get("messageId") for p in payloads],
        },
    )


def _part_payload(message: InboundMessage) -> dict[str, object]:
    return {
        "messageId": message.message_id,
        "sentAt": message.sent_at,
        "sentAtRaw": message.sent_at_raw,
        "forced": message.forced.value if message.forced else None,
        "signatureVerified": message.signature_verified,
    }


def flush_incomplete(db: Database, *, wait: int = INCOMPLETE_WAIT) -> int:
    """Record every long message that has waited ``wait`` for its missing parts.

    Run periodically (``stoplist serve`` does, in the background); returns
    how many messages were recorded.
    """
    quiet_since = clock.now_us() - wait
    with db.read() as conn:
        groups = part_store.incomplete_groups(conn, quiet_since)
    flushed = 0
    for account_id, provider, sender, ref in groups:
        with db.read() as conn:
            account = account_store.find_by_id(conn, account_id)
        if account is not None and Inbound(db, account).flush(provider, sender, ref, quiet_since):
            flushed += 1
    return flushed


def _with_gaps(rows: list[Any]) -> str:
    """The parts that arrived, in order, with ``[…]`` where one is missing."""
    pieces: list[str] = []
    expected = 1
    for row in rows:
        if row.part != expected:
            pieces.append("[…]")
        pieces.append(row.text)
        expected = row.part + 1
    if expected <= rows[0].total:
        pieces.append("[…]")
    return "".join(pieces)
