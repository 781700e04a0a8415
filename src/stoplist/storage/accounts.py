"""SQL for accounts and API keys."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from stoplist.domain.models import Account, ApiKey
from stoplist.storage.database import Database
from stoplist.storage.schema import accounts, api_keys

_ACCOUNT_COLUMNS = [
    accounts.c.id,
    accounts.c.name,
    accounts.c.default_region,
    accounts.c.timezone,
    accounts.c.inbound_token,
    accounts.c.opt_in_keywords_enabled,
    accounts.c.twilio_auth_token,
    accounts.c.created_at,
]


def _account(row: Row[Any]) -> Account:
    return Account(
        id=row.id,
        name=row.name,
        default_region=row.default_region,
        timezone=row.timezone,
        inbound_token=row.inbound_token,
        opt_in_keywords_enabled=bool(row.opt_in_keywords_enabled),
        twilio_auth_token=row.twilio_auth_token,
        created_at=row.created_at,
    )


def _key(row: Row[Any]) -> ApiKey:
    return ApiKey(
        id=row.id,
        account_id=row.account_id,
        prefix=row.prefix,
        label=row.label,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


def insert_account(conn: Connection, **values: Any) -> Account:
    account_id = conn.execute(insert(accounts).values(**values)).inserted_primary_key[0]
    return find_by_id(conn, account_id)  # type: ignore[return-value]


def update_account(conn: Connection, account_id: int, **values: Any) -> None:
    conn.execute(update(accounts).where(accounts.c.id == account_id).values(**values))


def _find(conn: Connection, condition: Any) -> Account | None:
    row = conn.execute(select(*_ACCOUNT_COLUMNS).where(condition)).first()
    return _account(row) if row else None


def find_by_id(conn: Connection, account_id: int) -> Account | None:
    return _find(conn, accounts.c.id == account_id)


def find_by_name(conn: Connection, name: str) -> Account | None:
    return _find(conn, accounts.c.name == name)


def find_by_inbound_token(conn: Connection, token: str) -> Account | None:
    return _find(conn, accounts.c.inbound_token == token)


def list_all(conn: Connection) -> list[Account]:
    return [
        _account(row) for row in conn.execute(select(*_ACCOUNT_COLUMNS).order_by(accounts.c.id))
    ]


_KEY_LOOKUP = (
    "SELECT a.id, a.name, a.default_region, a.timezone, a.inbound_token, "
    "a.opt_in_keywords_enabled, a.twilio_auth_token, a.created_at, k.key_hash "
    "FROM api_keys k JOIN accounts a ON a.id = k.account_id "
    "WHERE k.key_hash = ? AND k.revoked_at IS NULL"
)


def find_by_key_hash(db: Database, key_hash: str) -> tuple[Account, str] | None:
    """The account owning an active key with this digest, and the stored digest.

    Every API request runs this, so it is one plain statement for the driver:
    building a Core statement and a transaction costs more than the lookup.
    """
    row = db.fetch_one(_KEY_LOOKUP, (key_hash,))
    if row is None:
        return None
    account = Account(
        id=row[0],
        name=row[1],
        default_region=row[2],
        timezone=row[3],
        inbound_token=row[4],
        opt_in_keywords_enabled=bool(row[5]),
        twilio_auth_token=row[6],
        created_at=row[7],
    )
    return account, row[8]


def insert_key(
    conn: Connection,
    account_id: int,
    key_hash: str,
    prefix: str,
    label: str | None,
    created_at: int,
) -> ApiKey:
    key_id = conn.execute(
        insert(api_keys).values(
            account_id=account_id,
            key_hash=key_hash,
            prefix=prefix,
            label=label,
            created_at=created_at,
        )
    ).inserted_primary_key[0]
    return find_key(conn, account_id, key_id=key_id)  # type: ignore[return-value]


def find_key(
    conn: Connection, account_id: int, *, key_id: int | None = None, key_hash: str | None = None
) -> ApiKey | None:
    query = select(api_keys).where(api_keys.c.account_id == account_id)
    if key_id is not None:
        query = query.where(api_keys.c.id == key_id)
    if key_hash is not None:
        query = query.where(api_keys.c.key_hash == key_hash)
    row = conn.execute(query).first()
    return _key(row) if row else None


def list_keys(conn: Connection, account_id: int) -> list[ApiKey]:
    rows = conn.execute(
        select(api_keys).where(api_keys.c.account_id == account_id).order_by(api_keys.c.id)
    )
    return [_key(row) for row in rows]


def revoke_key(conn: Connection, key_id: int, revoked_at: int) -> None:
    conn.execute(update(api_keys).where(api_keys.c.id == key_id).values(revoked_at=revoked_at))
