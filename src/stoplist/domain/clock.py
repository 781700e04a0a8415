"""Instants and how an account sees them.

Instants are stored as integer microseconds since the Unix epoch, in UTC: they
sort and compare the same way on SQLite and PostgreSQL and cost nothing to
read back. They are shown as ``YYYY-MM-DD HH:MM:SS`` in the account's zone.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIMEZONE = "Europe/Paris"
MICROS = 1_000_000
_OFFSET_BUCKET = 15 * 60 * MICROS  # zone transitions fall on quarter hours
_DAY = 86_400


def now_us() -> int:
    return time.time_ns() // 1_000


def to_us(moment: datetime) -> int:
    """Microseconds since the epoch of an aware datetime (naive means UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * _DAY + delta.seconds) * MICROS + delta.microseconds


def from_us(instant: int, zone: ZoneInfo | None = None) -> datetime:
    moment = datetime.fromtimestamp(instant / MICROS, tz=UTC)
    return moment.astimezone(zone) if zone else moment


def zone(name: str) -> ZoneInfo:
    """The ``ZoneInfo`` called ``name``; ``ValueError`` if there is none."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone: {name}") from exc


def parse_local(text: str, tz: ZoneInfo) -> int:
    """Read a date or date-time typed by a person in the account's zone.

    ISO 8601 with an explicit offset is honoured as given.
    """
    value = text.strip().replace("T", " ")
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return to_us(moment)


class LocalTimeFormatter:
    """Formats instants as ``YYYY-MM-DD HH:MM:SS`` in one zone, fast.

    Listing a million stops means a million conversions, so the zone offset is
    cached per quarter hour and the date string per local day.
    """

    def __init__(self, tz: ZoneInfo) -> None:
        self._tz = tz
        self._offsets: dict[int, int] = {}
        self._dates: dict[int, str] = {}

    def __call__(self, instant: int) -> str:
        bucket = instant // _OFFSET_BUCKET
        offset = self._offsets.get(bucket)
        if offset is None:
            offset = self._offset_at(bucket * _OFFSET_BUCKET)
            self._offsets[bucket] = offset
        local = instant // MICROS + offset
        day, seconds = divmod(local, _DAY)
        date = self._dates.get(day)
        if date is None:
            date = datetime.fromtimestamp(day * _DAY, tz=UTC).strftime("%Y-%m-%d")
            self._dates[day] = date
        hours, rest = divmod(seconds, 3600)
        minutes, secs = divmod(rest, 60)
        return f"{date} {hours:02d}:{minutes:02d}:{secs:02d}"

    def _offset_at(self, instant: int) -> int:
        offset = from_us(instant, self._tz).utcoffset()
        return int(offset.total_seconds()) if offset else 0
