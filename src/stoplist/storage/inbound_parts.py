"""SQL for the parts of long SMS waiting for (or kept after) their siblings."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, delete, func, select
from sqlalchemy import insert as sa_insert

from stoplist.storage.schema import inbound_parts


def insert_part(conn: Connection, account_id: int, **values: Any) -> bool:
    """Store a part; False when that part is already stored.

    Callers hold the number's lock, so check-then-insert does not race.
    """
    seen = stored_part(
        conn, account_id, values["provider"], values["sender"], values["concat_ref"], values["part"]
    )
    if seen is not None:
        return False
    conn.execute(sa_insert(inbound_parts).values(account_id=account_id, **values))
    return True


def stored_part(
    conn: Connection, account_id: int, provider: str, sender: str, concat_ref: str, part: int
) -> Row[Any] | None:
    """The stored part at position ``part`` of one long message (``FLUSHED``: its marker)."""
    return conn.execute(
        select(inbound_parts).where(
            inbound_parts.c.account_id == account_id,
            inbound_parts.c.provider == provider,
            inbound_parts.c.sender == sender,
            inbound_parts.c.concat_ref == concat_ref,
            inbound_parts.c.part == part,
        )
    ).first()


def parts(
    conn: Connection, account_id: int, provider: str, sender: str, concat_ref: str
) -> list[Row[Any]]:
    return list(
        conn.execute(
            select(inbound_parts)
            .where(
                inbound_parts.c.account_id == account_id,
                inbound_parts.c.provider == provider,
                inbound_parts.c.sender == sender,
                inbound_parts.c.concat_ref == concat_ref,
                inbound_parts.c.part > 0,
            )
            .order_by(inbound_parts.c.part)
        )
    )


def forget(conn: Connection, account_id: int, provider: str, sender: str, concat_ref: str) -> None:
    """Delete every row of one long message (its parts and any marker)."""
    conn.execute(
        delete(inbound_parts).where(
            inbound_parts.c.account_id == account_id,
            inbound_parts.c.provider == provider,
            inbound_parts.c.sender == sender,
            inbound_parts.c.concat_ref == concat_ref,
        )
    )


def purge(conn: Connection, account_id: int, older_than: int) -> None:
    conn.execute(
        delete(inbound_parts).where(
            inbound_parts.c.account_id == account_id, inbound_parts.c.received_at < older_than
        )
    )


FLUSHED = 0
"""The part number of the marker row that says a group was recorded incomplete."""


def incomplete_groups(conn: Connection, quiet_since: int) -> list[tuple[int, str, str, str]]:
    """``(account_id, provider, sender, concat_ref)`` of groups still missing parts
    whose last part arrived before ``quiet_since`` and that were never flushed."""
    group = (
        inbound_parts.c.account_id,
        inbound_parts.c.provider,
        inbound_parts.c.sender,
        inbound_parts.c.concat_ref,
    )
    rows = conn.execute(
        select(*group)
        .group_by(*group)
        .having(
            func.max(inbound_parts.c.received_at) < quiet_since,
            func.min(inbound_parts.c.part) > FLUSHED,
            func.count() < func.max(inbound_parts.c.total),
        )
    )
    return [tuple(row) for row in rows]
