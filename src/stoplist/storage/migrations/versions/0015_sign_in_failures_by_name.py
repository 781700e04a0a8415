"""wrong dashboard passwords are counted by the name typed, not by the account found

Revision ID: 0015
Revises: 0014

The sign-in throttle's rule for a name under attack was kept by account id, so
it held only for names that are an account's: after enough failures at a
name, another address's second try was paused for an existing name and
merely refused for an unknown one, which told the two apart. Failures are now
kept under the SHA-256 of the name as the sign-in compares names (spaces
around it dropped, case and Unicode normalisation ignored), whether or not an
account has it, and ``account_id`` goes.

The table holds the last fifteen minutes of failures only; those are carried
over, each under its account's name. A failure at a name that was no
account's was recorded without the name, so it is carried over with an empty
key, which no name has: it still counts against its address.
"""

from __future__ import annotations

import hashlib
import unicodedata
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_TABLE = "dashboard_sign_in_failures"
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_NO_NAME = ""


def name_digest(name: str) -> str:
    """The key of ``name`` as ``domain.dashboard_throttle`` made it when this was written."""
    folded = unicodedata.normalize("NFD", unicodedata.normalize("NFD", name.strip()).casefold())
    return hashlib.sha256(folded.encode()).hexdigest()


def upgrade() -> None:
    conn = op.get_bind()
    kept = conn.exec_driver_sql(
        f"SELECT f.client, a.name, f.failed_at FROM {_TABLE} f "
        "LEFT JOIN accounts a ON a.id = f.account_id ORDER BY f.id"
    ).fetchall()
    op.drop_table(_TABLE)
    table = _create(sa.Column("name_key", sa.String(64), nullable=False), "name_key", "name")
    rows = [
        {
            "client": client,
            "name_key": _NO_NAME if name is None else name_digest(name),
            "failed_at": failed_at,
        }
        for client, name, failed_at in kept
    ]
    if rows:
        op.bulk_insert(table, rows)


def downgrade() -> None:
    """Failures go back to the account whose name they were made at, if any."""
    conn = op.get_bind()
    accounts = {
        name_digest(name): account_id
        for account_id, name in conn.exec_driver_sql("SELECT id, name FROM accounts ORDER BY id")
    }
    kept = conn.exec_driver_sql(
        f"SELECT client, name_key, failed_at FROM {_TABLE} ORDER BY id"
    ).fetchall()
    op.drop_table(_TABLE)
    account = sa.Column(
        "account_id", sa.Integer(), sa.ForeignKey("accounts.id", ondelete="CASCADE")
    )
    table = _create(account, "account_id", "account")
    rows = [
        {"client": client, "account_id": accounts.get(key), "failed_at": failed_at}
        for client, key, failed_at in kept
    ]
    if rows:
        op.bulk_insert(table, rows)


def _create(counted_by: sa.Column[Any], column: str, suffix: str) -> sa.Table:
    """The failures table, counted by ``counted_by`` (indexed with the time, as ``client`` is)."""
    table = op.create_table(
        _TABLE,
        sa.Column("id", _ID, primary_key=True),
        sa.Column("client", sa.String(64), nullable=False),
        counted_by,
        sa.Column("failed_at", sa.BigInteger(), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index(f"ix_{_TABLE}_client", _TABLE, ["client", "failed_at"])
    op.create_index(f"ix_{_TABLE}_{suffix}", _TABLE, [column, "failed_at"])
    op.create_index(f"ix_{_TABLE}_time", _TABLE, ["failed_at"])
    assert table is not None
    return table
