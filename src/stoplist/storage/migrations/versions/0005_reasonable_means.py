"""opt-outs by any reasonable means: the per-account mode and the review queue

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch_op:
        batch_op.add_column(
            sa.Column("reasonable_means", sa.String(16), nullable=False, server_default="review")
        )
    op.create_table(
        "review_items",
        sa.Column("id", _ID, primary_key=True),
        sa.Column(
            "account_id",
            sa.Integer(),
            sa.ForeignKey("accounts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("phone_number", sa.String(16), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("message_at", sa.BigInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("phrase", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("decided_at", sa.BigInteger()),
        sa.Column("decided_by", sa.String(200)),
        sa.Column("decision_reason", sa.Text()),
        sa.Column("decision_event_id", sa.BigInteger()),
        sa.UniqueConstraint("account_id", "event_id", name="uq_review_items_event"),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_review_items_status", "review_items", ["account_id", "status", "created_at"]
    )
    op.create_index("ix_review_items_pending_age", "review_items", ["status", "created_at"])


def downgrade() -> None:
    op.drop_table("review_items")
    with op.batch_alter_table("accounts") as batch_op:
        batch_op.drop_column("reasonable_means")
