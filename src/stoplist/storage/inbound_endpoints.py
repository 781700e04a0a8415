"""SQL for an account's per-provider inbound settings (switched off, signed)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select, update
from sqlalchemy import insert as sa_insert

from stoplist.storage import secrets
from stoplist.storage.schema import inbound_endpoints


def find(conn: Connection, account_id: int, provider: str) -> dict[str, Any] | None:
    """``{"enabled", "secret", "signature_method"}`` of one endpoint, the secret opened."""
    row = conn.execute(
        select(
            inbound_endpoints.c.enabled,
            inbound_endpoints.c.secret,
            inbound_endpoints.c.signature_method,
        ).where(
            inbound_endpoints.c.account_id == account_id,
            inbound_endpoints.c.provider == provider,
        )
    ).first()
    if row is None:
        return None
    return {
        "enabled": bool(row.enabled),
        "secret": secrets.open_sealed(conn, row.secret),
        "signature_method": row.signature_method,
    }


def save(conn: Connection, account_id: int, provider: str, updated_at: int, **values: Any) -> None:
    """Change some of ``enabled``, ``secret`` (sealed here) and ``signature_method``."""
    if "secret" in values:
        values["secret"] = secrets.seal(conn, values["secret"])
    where = (inbound_endpoints.c.account_id == account_id) & (
        inbound_endpoints.c.provider == provider
    )
    changed = conn.execute(
        update(inbound_endpoints).where(where).values(updated_at=updated_at, **values)
    ).rowcount
    if not changed:
        conn.execute(
            sa_insert(inbound_endpoints).values(
                account_id=account_id, provider=provider, updated_at=updated_at, **values
            )
        )
