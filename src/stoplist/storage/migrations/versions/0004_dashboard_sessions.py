"""dashboard sessions and sign-in failures, kept in the database for every worker

Revision ID: 0004
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "dashboard_sessions",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column(
            "account_id",
            sa.Integer(),
            sa.ForeignKey("accounts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("key_id", sa.Integer(), sa.ForeignKey("api_keys.id", ondelete="CASCADE")),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_dashboard_sessions_account", "dashboard_sessions", ["account_id"])
    op.create_index("ix_dashboard_sessions_expires", "dashboard_sessions", ["expires_at"])
    op.create_table(
        "dashboard_sign_in_failures",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("client", sa.String(64), nullable=False),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("accounts.id", ondelete="CASCADE")),
        sa.Column("failed_at", sa.BigInteger(), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_dashboard_sign_in_failures_client",
        "dashboard_sign_in_failures",
        ["client", "failed_at"],
    )
    op.create_index(
        "ix_dashboard_sign_in_failures_account",
        "dashboard_sign_in_failures",
        ["account_id", "failed_at"],
    )
    op.create_index(
        "ix_dashboard_sign_in_failures_time", "dashboard_sign_in_failures", ["failed_at"]
    )


def downgrade() -> None:
    op.drop_table("dashboard_sign_in_failures")
    op.drop_table("dashboard_sessions")
