"""database id: a random name for this database, so that files kept outside it say whose they are

Revision ID: 0012
Revises: 0011
"""

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_NAME = "database_id"


def upgrade() -> None:
    op.get_bind().execute(
        sa.text("INSERT INTO server_settings (name, value) VALUES (:name, :value)"),
        {"name": _NAME, "value": uuid.uuid4().hex},
    )


def downgrade() -> None:
    op.get_bind().execute(
        sa.text("DELETE FROM server_settings WHERE name = :name"), {"name": _NAME}
    )
