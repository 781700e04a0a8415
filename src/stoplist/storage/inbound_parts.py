"""SQL for the parts of long SMS waiting for (or kept after) their siblings."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, delete, select
from sqlalchemy import insert as sa_insert

from stoplist.storage.schema import inbound_parts


def insert_part(conn: Connection, account_id: int, **values: Any) -> bool:
    """Store a part; False when that part is already stored.

    Callers hold the number's lock, so check-then-insert does not race.
    """
    seen = conn.execute(
        select(inbound_parts.c.id).where(
            inbound_parts.c.account_id == account_id,
            inbound_parts.c.provider == values["provider"],
            inbound_parts.c.sender == values["sender"],
            inbound_parts.c.concat_ref == values["concat_ref"],
            inbound_parts.c.part == values["part"],
        )
    ).first()
    if seen is not None:
        return False
    conn.execute(sa_insert(inbound_parts).values(account_id=account_id, **values))
    return True


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
            )
            .order_by(inbound_parts.c.part)
        )
    )


def purge(conn: Connection, account_id: int, older_than: int) -> None:
    conn.execute(
        delete(inbound_parts).where(
            inbound_parts.c.account_id == account_id, inbound_parts.c.received_at < older_than
        )
    )
