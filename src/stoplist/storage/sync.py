"""SQL for mirroring an upstream list: what earlier runs already recorded."""

from __future__ import annotations

from sqlalchemy import Connection, select

from stoplist.storage.schema import events


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
