"""retention: each account's period for message texts, and a record of every sweep

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch_op:
        batch_op.add_column(
            sa.Column("retention_days", sa.Integer(), nullable=False, server_default="1095")
        )
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
    # The sweep looks for old texts by event time, account by account.
    op.create_index("ix_events_account_time", "events", ["account_id", "event_at"])


def downgrade() -> None:
    op.drop_index("ix_events_account_time", "events")
    op.drop_table("retention_sweeps")
    with op.batch_alter_table("accounts") as batch_op:
        batch_op.drop_column("retention_days")
