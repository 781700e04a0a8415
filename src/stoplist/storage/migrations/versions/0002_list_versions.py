"""list versions: what kept lists and filter indexes are checked against

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN on both databases: a constant default needs no table rebuild.
    op.add_column(
        "accounts",
        sa.Column("list_version", sa.BigInteger(), server_default="0", nullable=False),
    )
    op.add_column("accounts", sa.Column("list_event_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch_op:
        batch_op.drop_column("list_event_id")
        batch_op.drop_column("list_version")
