"""What happens to a number, and how events order.

Every change to a number's state, and every message a person sends, is an
event. Reports arrive late and out of order, so the state of a number is
decided by the latest *event time* among its state-changing events (ties go
to the event recorded last), never by arrival order. One refinement
(``ranking_time``): an opt-out whose time is known only to the second ranks
at the end of that second.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class EventKind(StrEnum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"
    REPLY = "reply"
    DISMISSED = "dismissed"
    """Someone decided that a possible opt-out (``domain.review``) was not one."""
    ERASED = "erased"
    """The number's texts and the number itself were removed; it stays suppressed
    (``domain.erasure``)."""
    RETENTION = "retention"
    """Texts older than the account's retention period were blanked (``domain.retention``):
    an event of the whole account, naming no number (``ACCOUNT_WIDE``)."""

    @property
    def changes_state(self) -> bool:
        return self in (EventKind.OPT_OUT, EventKind.OPT_IN)


class Source(StrEnum):
    """Who or what caused an event."""

    SMS = "sms"
    API = "api"
    IMPORT = "import"
    SYNC = "sync"
    DASHBOARD = "dashboard"
    CLI = "cli"
    SCHEDULE = "schedule"
    """The server's own periodic tasks (the hourly retention sweep)."""
    UPGRADE = "upgrade"
    """A migration of a new version, correcting what an older one recorded (migration 0014)."""


ACCOUNT_WIDE = ""
"""The ``phone_number`` of an event about the whole account rather than one number.

Such events are chained and exported like the others; the chain hashes the
digest of the empty string in place of a number's. No list reads them.
"""


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event about to be recorded; ``event_at`` defaults to its arrival."""

    phone_number: str
    kind: EventKind
    source: Source
    event_at: int | None = None
    provider: str | None = None
    provider_message_id: str | None = None
    text: str | None = None
    actor: str | None = None
    reason: str | None = None
    details: dict[str, object] = field(default_factory=dict)
    provider_time_raw: str | None = None
    """The provider's send time as it came, when it was not believed (see ``domain.inbound``)."""
    received_at: int | None = None
    """When it reached us, if that was not just now (a message that waited in the spool)."""

    def recorded(self, event_id: int, account_id: int, *, received_at: int) -> Event:
        """This event as stored under ``event_id``, having reached us at ``received_at``."""
        return Event(
            id=event_id,
            account_id=account_id,
            phone_number=self.phone_number,
            kind=self.kind,
            source=self.source,
            event_at=effective_event_time(self.event_at, received_at),
            received_at=received_at,
            provider=self.provider,
            provider_message_id=self.provider_message_id,
            text=self.text,
            actor=self.actor,
            reason=self.reason,
            details=self.details,
            provider_time_raw=self.provider_time_raw,
        )


@dataclass(frozen=True, slots=True)
class Event:
    id: int
    account_id: int
    phone_number: str
    kind: EventKind
    source: Source
    event_at: int
    received_at: int
    provider: str | None
    provider_message_id: str | None
    text: str | None
    actor: str | None
    reason: str | None
    details: dict[str, object]
    provider_time_raw: str | None = None


def effective_event_time(claimed: int | None, received_at: int) -> int:
    """When an event happened: what the provider says, never after it reached us.

    A provider clock running ahead must not let an old message outrank one the
    person sent later.
    """
    if claimed is None:
        return received_at
    return min(claimed, received_at)


RANKING_SLACK = 999_999
"""How far past its event time an opt-out may rank, in microseconds (``ranking_time``): an
event's time is never after its arrival, so its rank is never after either."""


def ranking_time(kind: EventKind, event_at: int, received_at: int) -> int:
    """Where a state event ranks among the number's others: its event time, except that
    an opt-out dated to a whole second counts at the last microsecond of that second it
    may have been sent in, which is never after it reached us.

    Providers that date messages to the second (Vonage's and SMS Partner's
    ``message-timestamp``, many gateways) say only that a STOP was sent
    somewhere in that second. A START recorded at its arrival a few hundred
    milliseconds into the same second, then the STOP, would otherwise leave
    the number allowed, though the person's last word was STOP. Where the
    order cannot be told, the opt-out wins: losing a STOP is worse than
    asking a person to send START again. Where it can (the STOP had reached
    us before the START or the API's delete was made), it is kept. The rule
    reads the event alone, so the order of arrival never matters otherwise,
    and writes through the API (timed to the microsecond) keep their order.
    ``storage.events`` orders by the same rule in SQL.
    """
    if kind is EventKind.OPT_OUT and event_at % (RANKING_SLACK + 1) == 0:
        return min(event_at + RANKING_SLACK, received_at)
    return event_at


@dataclass(frozen=True, slots=True)
class ChainLink:
    """An event's place in its account's hash chain, as stored (see ``storage.chain``).

    Every field is None on a row that was never chained (one inserted by hand).
    ``details`` is the details column exactly as stored, which is what is hashed.
    """

    seq: int | None
    prev_hash: bytes | None
    hash: bytes | None
    text_digest: bytes | None
    number_digest: bytes | None
    details: str | None


@dataclass(frozen=True, slots=True)
class ChainedEvent:
    event: Event
    link: ChainLink
