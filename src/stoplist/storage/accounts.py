"""SQL for accounts and API keys.

The inbound token is stored sealed (``storage.secrets``), because the
dashboard shows the inbound URLs again, and found by its SHA-256.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import Connection, Engine, Row, insert, select, text, update

from stoplist.records.models import Account, ApiKey
from stoplist.storage import secrets
from stoplist.storage.database import Database
from stoplist.storage.schema import accounts, api_keys, inserted_id

_ACCOUNT_COLUMNS = [
    accounts.c.id,
    accounts.c.name,
    accounts.c.default_region,
    accounts.c.timezone,
    accounts.c.inbound_token,
    accounts.c.opt_in_keywords_enabled,
    accounts.c.created_at,
    accounts.c.reasonable_means,
]


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _account(bind: Connection | Engine, row: Row[Any] | tuple[Any, ...]) -> Account:
    account_id, name, region, timezone, sealed_token, opt_in, created_at, means = row[
        :ACCOUNT_WIDTH
    ]
    return Account(
        id=account_id,
        name=name,
        default_region=region,
        timezone=timezone,
        inbound_token=secrets.box(bind).open(sealed_token),
        opt_in_keywords_enabled=bool(opt_in),
        created_at=created_at,
        reasonable_means=means,
    )


def account_from_row(bind: Connection | Engine, row: tuple[Any, ...]) -> Account:
    """An ``Account`` from a row that starts with ``ACCOUNT_COLUMNS``."""
    return _account(bind, row)


def _sealed(conn: Connection, values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with a plain ``inbound_token`` replaced by its sealed form and digest."""
    token = values.pop("inbound_token", None)
    if token is not None:
        values["inbound_token"] = secrets.box(conn).seal(token)
        values["inbound_token_hash"] = token_digest(token)
    return values


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
    account_id = inserted_id(conn.execute(insert(accounts).values(**_sealed(conn, values))))
    return find_by_id(conn, account_id)  # type: ignore[return-value]


def update_account(conn: Connection, account_id: int, **values: Any) -> None:
    conn.execute(
        update(accounts).where(accounts.c.id == account_id).values(**_sealed(conn, values))
    )


def _find(conn: Connection, condition: Any) -> Account | None:
    row = conn.execute(select(*_ACCOUNT_COLUMNS).where(condition)).first()
    return _account(conn, row) if row else None


def find_by_id(conn: Connection, account_id: int) -> Account | None:
    return _find(conn, accounts.c.id == account_id)


def names(conn: Connection) -> list[tuple[int, str]]:
    """Every account's id and name, for comparisons SQL cannot make alike on both databases.

    SQLite's ``lower()`` folds ASCII letters only; names are compared
    ignoring case (``str.casefold``) by the domain.
    """
    rows = conn.execute(select(accounts.c.id, accounts.c.name).order_by(accounts.c.id))
    return [(account_id, name) for account_id, name in rows]


_PG_NAMES_LOCK = 0x5354_4F50_4E41_4D45  # "STOPNAME"
"""Advisory lock held by whoever checks a name is free and then takes it, on PostgreSQL."""


def lock_names(conn: Connection) -> None:
    """Hold the account-name lock until the transaction ends.

    The unique constraint refuses a name taken twice exactly, but not
    ``Shop`` beside ``shop``: without the lock, two transactions under READ
    COMMITTED could each find the other's name absent. SQLite writers
    already run one at a time.
    """
    if conn.dialect.name != "sqlite":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_NAMES_LOCK})


def find_by_inbound_token_digest(conn: Connection, digest: str) -> Account | None:
    return _find(conn, accounts.c.inbound_token_hash == digest)


def list_all(conn: Connection) -> list[Account]:
    return [
        _account(conn, row)
        for row in conn.execute(select(*_ACCOUNT_COLUMNS).order_by(accounts.c.id))
    ]


ACCOUNT_COLUMNS = (
    "a.id, a.name, a.default_region, a.timezone, a.inbound_token, "
    "a.opt_in_keywords_enabled, a.created_at, a.reasonable_means"
)
"""The columns ``account_from_row`` reads, in its order (``accounts`` aliased ``a``)."""
ACCOUNT_WIDTH = 8

_KEY_LOOKUP = (
    f"SELECT {ACCOUNT_COLUMNS}, k.key_hash "
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
    return _account(db.engine, row), row[ACCOUNT_WIDTH]


def insert_key(
    conn: Connection,
    account_id: int,
    key_hash: str,
    prefix: str,
    label: str | None,
    created_at: int,
) -> ApiKey:
    key_id = inserted_id(
        conn.execute(
            insert(api_keys).values(
                account_id=account_id,
                key_hash=key_hash,
                prefix=prefix,
                label=label,
                created_at=created_at,
            )
        )
    )
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
