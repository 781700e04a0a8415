"""held opt-outs: an inbound STOP spooled while its list was locked, seen by every node at once

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "held_opt_outs",
        sa.Column("spool_name", sa.String(100), primary_key=True),
        sa.Column(
            "account_id",
            sa.Integer(),
            sa.ForeignKey("accounts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("phone_number", sa.String(16), nullable=False),
        sa.Column("node", sa.String(32), nullable=False),
        sa.Column("held_at", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_held_opt_outs_number", "held_opt_outs", ["account_id", "phone_number"])


def downgrade() -> None:
    op.drop_index("ix_held_opt_outs_number", "held_opt_outs")
    op.drop_table("held_opt_outs")
