"""a hash chain over each account's events (storage.chain), existing events chained here

Revision ID: 0006
Revises: 0005

The events already recorded are chained in the order they were recorded
(by id), per account, by this migration itself: ``stoplist migrate`` (or the
first start of the new version) does it once, a block of rows at a time.
It needs the secrets key file, as the chain's keys derive from it.
"""

import sqlalchemy as sa
from alembic import op

from stoplist.storage import chain

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_BLOCK = 10_000


def upgrade() -> None:
    with op.batch_alter_table("events") as batch_op:
        batch_op.add_column(sa.Column("chain_seq", sa.BigInteger()))
        batch_op.add_column(sa.Column("prev_hash", sa.LargeBinary(32)))
        batch_op.add_column(sa.Column("hash", sa.LargeBinary(32)))
        batch_op.add_column(sa.Column("text_digest", sa.LargeBinary(32)))
        batch_op.add_column(sa.Column("number_digest", sa.LargeBinary(32)))
    op.create_table(
        "event_chains",
        sa.Column(
            "account_id",
            sa.Integer(),
            sa.ForeignKey("accounts.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("length", sa.BigInteger(), nullable=False),
        sa.Column("head", sa.LargeBinary(32), nullable=False),
    )
    _chain_existing(op.get_bind())
    op.create_index("ix_events_chain", "events", ["account_id", "chain_seq"], unique=True)


def _chain_existing(conn: sa.Connection) -> None:
    accounts = [
        row[0] for row in conn.exec_driver_sql("SELECT DISTINCT account_id FROM events ORDER BY 1")
    ]
    if not accounts:
        return
    keys = chain.chain_keys(conn)
    marks = "?" if conn.dialect.name == "sqlite" else "%s"
    update_sql = (
        f"UPDATE events SET chain_seq = {marks}, prev_hash = {marks}, hash = {marks}, "
        f"text_digest = {marks}, number_digest = {marks} WHERE id = {marks}"
    )
    for account_id in accounts:
        head = chain.Head(0, chain.GENESIS)
        after = 0
        while True:
            rows = conn.exec_driver_sql(
                "SELECT id, phone_number, kind, source, event_at, received_at, provider, "
                "provider_message_id, text, actor, reason, details, provider_time_raw "
                f"FROM events WHERE account_id = {marks} AND id > {marks} ORDER BY id "
                f"LIMIT {_BLOCK}",
                (account_id, after),
            ).fetchall()
            if not rows:
                break
            updates = []
            for row in rows:
                seq = head.length + 1
                number = chain.number_digest(keys, row.phone_number)
                text = chain.text_digest(row.text)
                fields = chain.fields_digest(
                    account_id,
                    kind=row.kind,
                    source=row.source,
                    event_at=row.event_at,
                    received_at=row.received_at,
                    provider=row.provider,
                    provider_message_id=row.provider_message_id,
                    actor=row.actor,
                    reason=row.reason,
                    details=row.details,
                    provider_time_raw=row.provider_time_raw,
                )
                own = chain.link_hash(keys, head.hash, fields, seq, number, text)
                updates.append((seq, head.hash, own, text, number, row.id))
                head = chain.Head(seq, own)
            conn.exec_driver_sql(update_sql, updates)
            after = rows[-1].id
        conn.exec_driver_sql(
            f"INSERT INTO event_chains (account_id, length, head) VALUES ({marks}, {marks}, "
            f"{marks})",
            (account_id, head.length, head.hash),
        )


def downgrade() -> None:
    op.drop_index("ix_events_chain", "events")
    op.drop_table("event_chains")
    with op.batch_alter_table("events") as batch_op:
        for column in ("number_digest", "text_digest", "hash", "prev_hash", "chain_seq"):
            batch_op.drop_column(column)
