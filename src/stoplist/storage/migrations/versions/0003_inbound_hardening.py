"""inbound hardening: per-provider endpoints, sealed secrets, sender-aware dedupe, raw provider times

Revision ID: 0003
Revises: 0002

Secrets already stored in plain text (inbound tokens, Twilio auth tokens,
webhook signing secrets, the dashboard session key) are sealed here with
the server's secrets key, made on the spot when there is none yet (see
``stoplist.storage.secrets``), in the same transaction as the schema change.
"""

import hashlib

import sqlalchemy as sa
from alembic import op

from stoplist.storage import secrets

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_DASHBOARD_KEY = "dashboard_secret_key"


def upgrade() -> None:
    conn = op.get_bind()
    postgres = conn.dialect.name == "postgresql"
    box = secrets.box(conn)

    # Events: the same message id from two senders is two messages; provider times kept raw.
    with op.batch_alter_table("events", table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.add_column(sa.Column("provider_time_raw", sa.String(length=200), nullable=True))
        batch_op.drop_constraint("uq_events_provider_message", type_="unique")
        batch_op.create_unique_constraint(
            "uq_events_provider_message_sender",
            ["account_id", "provider", "provider_message_id", "phone_number"],
        )

    # Accounts: the inbound token is sealed, and found by its digest.
    op.add_column("accounts", sa.Column("inbound_token_hash", sa.String(length=64), nullable=True))
    if postgres:
        op.alter_column("accounts", "inbound_token", type_=sa.Text())
        op.alter_column("webhook_endpoints", "secret", type_=sa.Text())
    op.create_table(
        "inbound_endpoints",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("secret", sa.Text(), nullable=True),
        sa.Column("signature_method", sa.String(length=32), nullable=True),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("account_id", "provider"),
    )
    rows = conn.execute(
        sa.text("SELECT id, inbound_token, twilio_auth_token, created_at FROM accounts")
    ).all()
    for account_id, token, twilio_token, created_at in rows:
        conn.execute(
            sa.text(
                "UPDATE accounts SET inbound_token = :sealed, inbound_token_hash = :digest WHERE id = :id"
            ),
            {
                "sealed": box.seal(token),
                "digest": hashlib.sha256(token.encode()).hexdigest(),
                "id": account_id,
            },
        )
        if twilio_token:
            conn.execute(
                sa.text(
                    "INSERT INTO inbound_endpoints (account_id, provider, enabled, secret, updated_at) "
                    "VALUES (:id, 'twilio', :enabled, :secret, :at)"
                ),
                {
                    "id": account_id,
                    "enabled": True,
                    "secret": box.seal(twilio_token),
                    "at": created_at,
                },
            )
    op.create_index(
        "ix_accounts_inbound_token_hash", "accounts", ["inbound_token_hash"], unique=True
    )
    # SQLite drops a plain column in place (3.35+); no table rebuild under the foreign keys.
    op.execute("ALTER TABLE accounts DROP COLUMN twilio_auth_token")

    for endpoint_id, secret in conn.execute(
        sa.text("SELECT id, secret FROM webhook_endpoints")
    ).all():
        conn.execute(
            sa.text("UPDATE webhook_endpoints SET secret = :sealed WHERE id = :id"),
            {"sealed": box.seal(secret), "id": endpoint_id},
        )
    key = conn.execute(
        sa.text("SELECT value FROM server_settings WHERE name = :name"), {"name": _DASHBOARD_KEY}
    ).scalar()
    if key is not None:
        conn.execute(
            sa.text("UPDATE server_settings SET value = :sealed WHERE name = :name"),
            {"sealed": box.seal(key), "name": _DASHBOARD_KEY},
        )


def downgrade() -> None:
    raise NotImplementedError("secrets sealed by 0003 are not written back in plain text")
