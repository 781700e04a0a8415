"""The records the domain hands around: plain, immutable, free of storage code."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    name: str
    default_region: str
    timezone: str
    inbound_token: str
    """The secret in the account's inbound URLs (stored sealed, found by its digest)."""
    opt_in_keywords_enabled: bool
    created_at: int
    reasonable_means: str = "review"
    """What a message that plainly asks to stop does: ``optout``, ``review`` or ``off``."""

    @property
    def zone(self) -> ZoneInfo:
        """The account's time zone (its name was checked when the account was saved)."""
        return ZoneInfo(self.timezone)


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: int
    account_id: int
    prefix: str
    label: str | None
    created_at: int
    revoked_at: int | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True, slots=True)
class Stop:
    """A number currently on an account's stop list."""

    id: int
    account_id: int
    phone_number: str
    created_at: int
    source: str
