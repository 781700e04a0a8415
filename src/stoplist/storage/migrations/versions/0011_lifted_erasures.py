"""lifted erasures: an erasure the person's opt-in lifted keeps its row, marked lifted

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("erased_numbers") as table:
        table.add_column(sa.Column("lifted_at", sa.BigInteger(), nullable=True))
        table.add_column(sa.Column("lifted_event_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    # Before this revision a lifted erasure had no row: a lifted one is forgotten.
    op.execute("DELETE FROM erased_numbers WHERE lifted_at IS NOT NULL")
    with op.batch_alter_table("erased_numbers") as table:
        table.drop_column("lifted_event_id")
        table.drop_column("lifted_at")
