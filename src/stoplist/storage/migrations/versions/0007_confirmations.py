"""confirmations: per-account texts and sender, and the confirmations given or queued

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _account_id(primary_key: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(
        "account_id",
        sa.Integer(),
        sa.ForeignKey("accounts.id", ondelete="CASCADE"),
        nullable=False,
        primary_key=primary_key,
    )


def upgrade() -> None:
    op.create_table(
        "confirmation_settings",
        _account_id(primary_key=True),
        sa.Column("enabled", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("sender", sa.String(40)),
        sa.Column("smspartner_key", sa.Text()),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "confirmation_texts",
        _account_id(primary_key=True),
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("language", sa.String(8), primary_key=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "confirmations",
        sa.Column("id", _ID, primary_key=True),
        _account_id(),
        sa.Column("phone_number", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("sender", sa.String(40)),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.BigInteger()),
        sa.Column("locked_until", sa.BigInteger()),
        sa.Column("last_status_code", sa.Integer()),
        sa.Column("last_error", sa.Text()),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("delivered_at", sa.BigInteger()),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_confirmations_number",
        "confirmations",
        ["account_id", "phone_number", "kind", "created_at"],
    )
    op.create_index("ix_confirmations_event", "confirmations", ["account_id", "event_id"])
    op.create_index("ix_confirmations_due", "confirmations", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_table("confirmations")
    op.drop_table("confirmation_texts")
    op.drop_table("confirmation_settings")
