"""Instants and how an account sees them.

Instants are stored as integer microseconds since the Unix epoch, in UTC: they
sort and compare the same way on SQLite and PostgreSQL and cost nothing to
read back. They are shown as ``YYYY-MM-DD HH:MM:SS`` in the account's zone.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from stoplist.domain.errors import UnknownTimezone

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
    """The ``ZoneInfo`` called ``name``; ``UnknownTimezone`` if there is none.

    The name is looked up as a file of the time zone database: a directory of
    it (``Europe``) or a name too long for a path fails as the file system's
    ``OSError``, refused the same way.
    """
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise UnknownTimezone(name) from exc


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
    cached per quarter hour and the text up to the minute per local minute;
    an instant in the same second as the previous one (rows added by one
    import) costs a single comparison.
    """

    def __init__(self, tz: ZoneInfo) -> None:
        self._tz = tz
        self._offsets: dict[int, int] = {}
        self._minutes: dict[int, str] = {}
        self._last_second = -1
        self._last_text = ""

    def __call__(self, instant: int) -> str:
        second = instant // MICROS
        if second == self._last_second:
            return self._last_text
        bucket = instant // _OFFSET_BUCKET
        offset = self._offsets.get(bucket)
        if offset is None:
            if len(self._offsets) > _CACHE_LIMIT:
                self._offsets.clear()
            offset = self._offset_at(bucket * _OFFSET_BUCKET)
            self._offsets[bucket] = offset
        minute, seconds = divmod(second + offset, 60)
        prefix = self._minutes.get(minute)
        if prefix is None:
            if len(self._minutes) > _CACHE_LIMIT:
                self._minutes.clear()
            prefix = self._minutes[minute] = _minute_text(minute)
        text = prefix + _SECONDS[seconds]
        self._last_second = second
        self._last_text = text
        return text

    def _offset_at(self, instant: int) -> int:
        offset = from_us(instant, self._tz).utcoffset()
        return int(offset.total_seconds()) if offset else 0


_CACHE_LIMIT = 100_000
_SECONDS = [f"{second:02d}" for second in range(60)]


def _minute_text(minute: int) -> str:
    """``YYYY-MM-DD HH:MM:`` of a local minute count since the epoch."""
    day, minutes = divmod(minute, 1440)
    date = datetime.fromtimestamp(day * _DAY, tz=UTC).strftime("%Y-%m-%d")
    hours, minutes = divmod(minutes, 60)
    return f"{date} {hours:02d}:{minutes:02d}:"
