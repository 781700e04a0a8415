"""retention sweeps become events of their account, in its chain; retention_sweeps goes

Revision ID: 0010
Revises: 0009

Each recorded sweep is appended to its account's chain as an event of kind
``retention`` naming no number (``records.events.ACCOUNT_WIDE``), in the
order the sweeps ran, with what the row said in ``details``. Like 0006, it
needs the secrets key file, as the chain's keys derive from it.
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import sqlalchemy as sa
from alembic import op

from stoplist.storage import chain

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def upgrade() -> None:
    conn = op.get_bind()
    rows = conn.exec_driver_sql(
        "SELECT account_id, ran_at, retention_days, cutoff, texts_blanked, review_texts_blanked "
        "FROM retention_sweeps ORDER BY account_id, ran_at, id"
    ).fetchall()
    if rows:
        _chain_sweeps(conn, rows)
    op.drop_index("ix_retention_sweeps_account", "retention_sweeps")
    op.drop_table("retention_sweeps")


def _chain_sweeps(conn: sa.Connection, rows: Sequence[Any]) -> None:
    keys = chain.chain_keys(conn)
    marks = "?" if conn.dialect.name == "sqlite" else "%s"
    insert_sql = (
        "INSERT INTO events (account_id, phone_number, kind, source, event_at, received_at, "
        "details, chain_seq, prev_hash, hash, number_digest) "
        f"VALUES ({', '.join([marks] * 11)})"
    )
    number = chain.number_digest(keys, "")
    heads: dict[int, chain.Head] = {}
    for account_id, ran_at, days, cutoff, texts, reviews in rows:
        head = heads.get(account_id)
        if head is None:
            head = _head(conn, marks, account_id)
        details = orjson.dumps(
            {
                "retentionDays": days,
                "cutoff": (_EPOCH + timedelta(microseconds=cutoff)).isoformat(),
                "textsBlanked": texts,
                "reviewTextsBlanked": reviews,
            }
        ).decode()
        fields = chain.fields_digest(
            account_id,
            kind="retention",
            source="schedule",
            event_at=ran_at,
            received_at=ran_at,
            provider=None,
            provider_message_id=None,
            actor=None,
            reason=None,
            details=details,
            provider_time_raw=None,
        )
        seq = head.length + 1
        own = chain.link_hash(keys, head.hash, fields, seq, number, None)
        conn.exec_driver_sql(
            insert_sql,
            (account_id, "", "retention", "schedule", ran_at, ran_at, details, seq, head.hash,
             own, number),
        )  # fmt: skip
        heads[account_id] = chain.Head(seq, own)
    for account_id, head in heads.items():
        conn.exec_driver_sql(
            f"UPDATE event_chains SET length = {marks}, head = {marks} WHERE account_id = {marks}",
            (head.length, head.hash, account_id),
        )


def _head(conn: sa.Connection, marks: str, account_id: int) -> chain.Head:
    """The account's chain head (made when missing: its events were deleted since)."""
    row = conn.exec_driver_sql(
        f"SELECT length, head FROM event_chains WHERE account_id = {marks}", (account_id,)
    ).first()
    if row is None:
        conn.exec_driver_sql(
            f"INSERT INTO event_chains (account_id, length, head) VALUES ({marks}, 0, {marks})",
            (account_id, chain.GENESIS),
        )
        return chain.Head(0, chain.GENESIS)
    return chain.Head(int(row[0]), bytes(row[1]))


def downgrade() -> None:
    op.create_table(
        "retention_sweeps",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column(
            "account_id",
            sa.Integer(),
            sa.ForeignKey("accounts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("ran_at", sa.BigInteger(), nullable=False),
        sa.Column("retention_days", sa.Integer(), nullable=False),
        sa.Column("cutoff", sa.BigInteger(), nullable=False),
        sa.Column("texts_blanked", sa.BigInteger(), nullable=False),
        sa.Column("review_texts_blanked", sa.BigInteger(), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_retention_sweeps_account", "retention_sweeps", ["account_id", "ran_at"])
    # The sweeps' events stay in the chain: removing them would break it.
