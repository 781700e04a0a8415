"""SQL for mirroring an upstream list: what earlier runs recorded, and from which upstreams."""

from __future__ import annotations

from sqlalchemy import Connection, select

from stoplist.storage.driver_sql import driver_sql
from stoplist.storage.schema import events

PROVIDER_PREFIX = "sync:"
"""Begins the ``provider`` of every sync event; the rest names the upstream."""

_PROVIDERS = (
    "WITH RECURSIVE p(provider) AS ("
    "SELECT MIN(provider) FROM events WHERE account_id = ? "
    "UNION ALL SELECT (SELECT MIN(provider) FROM events "
    "WHERE account_id = ? AND provider > p.provider) FROM p WHERE p.provider IS NOT NULL"
    ") SELECT provider FROM p WHERE provider IS NOT NULL"
)


def recorded_upstream_events(
    conn: Connection, account_id: int, provider: str
) -> list[tuple[str, str, str]]:
    """``(phone_number, provider_message_id, kind)`` of every event from one upstream.

    Sync events name their upstream in ``provider``, so this reads one prefix
    of the ``(account_id, provider, provider_message_id)`` unique index.
    """
    rows = conn.execute(
        select(events.c.phone_number, events.c.provider_message_id, events.c.kind).where(
            events.c.account_id == account_id, events.c.provider == provider
        )
    )
    return [(row.phone_number, row.provider_message_id, row.kind) for row in rows]


def upstream_providers(conn: Connection, account_id: int) -> list[str]:
    """The ``provider`` of each upstream the account ever mirrored; none, usually.

    Read from the ``(account_id, provider, ...)`` unique index a distinct
    provider at a time, a probe each (an account's events name a handful),
    never through the events between them: asking costs next to nothing
    on an account whose imports wrote millions of events.
    """
    rows = conn.exec_driver_sql(driver_sql(conn, _PROVIDERS), (account_id, account_id))
    providers = [str(row[0]) for row in rows]
    return [provider for provider in providers if provider.startswith(PROVIDER_PREFIX)]
