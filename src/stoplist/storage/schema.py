"""The tables, as SQLAlchemy Core metadata shared by SQLite and PostgreSQL.

Instants are ``BigInteger`` microseconds since the epoch in UTC (see
``stoplist.domain.clock``). The migrations in ``migrations/versions`` create
and evolve these tables; this module is what the queries are written against.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    CursorResult,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    true,
)

from stoplist.storage.text import FreeString, FreeText

metadata = MetaData()


def inserted_id(result: CursorResult[Any]) -> int:
    """The primary key of the row that a single-row ``insert`` wrote."""
    key = result.inserted_primary_key
    if key is None:
        raise TypeError("not the result of a single-row insert")
    return int(key[0])


accounts = Table(
    "accounts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", FreeString(200), nullable=False, unique=True),
    Column("default_region", String(2), nullable=False, server_default="FR"),
    Column("timezone", String(64), nullable=False, server_default="Europe/Paris"),
    # Sealed (storage.secrets); URLs are looked up by the token's SHA-256.
    Column("inbound_token", Text, nullable=False, unique=True),
    Column("inbound_token_hash", String(64)),
    Column("opt_in_keywords_enabled", Boolean, nullable=False, server_default=true()),
    # optout, review or off: what a message that plainly asks to stop does (domain.review).
    Column("reasonable_means", String(16), nullable=False, server_default="review"),
    # Days message texts are kept (storage.retention, domain.retention); 3 years by default.
    Column("retention_days", Integer, nullable=False, server_default="1095"),
    Column("dashboard_password_hash", String(300)),
    Column("created_at", BigInteger, nullable=False),
    # Move with every change to the account's stops (see storage.stops.touch_list).
    Column("list_version", BigInteger, nullable=False, server_default="0"),
    Column("list_event_id", BigInteger),
    Index("ix_accounts_inbound_token_hash", "inbound_token_hash", unique=True),
    sqlite_autoincrement=True,
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(16), nullable=False),
    Column("label", FreeString(200)),
    Column("created_at", BigInteger, nullable=False),
    Column("revoked_at", BigInteger),
    sqlite_autoincrement=True,
)

stops = Table(
    "stops",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("phone_number", String(16), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("source", String(16), nullable=False),
    Column("event_id", BigInteger),
    UniqueConstraint("account_id", "phone_number", name="uq_stops_account_number"),
    Index("ix_stops_account_id", "account_id", "id"),
    Index("ix_stops_account_created", "account_id", "created_at"),
    sqlite_autoincrement=True,
)

erased_numbers = Table(
    "erased_numbers",
    metadata,
    # Numbers erased at their owner's request (storage.erasures): only the keyed hash of
    # the number remains (storage.chain.number_digest), with the stop it had. Once the
    # person's opt-in lifted the erasure, lifted_at is set and the row no longer suppresses.
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("number_digest", LargeBinary(32), primary_key=True),
    Column("stop_id", BigInteger, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("source", String(16), nullable=False),
    Column("erased_at", BigInteger, nullable=False),
    Column("event_id", BigInteger, nullable=False),
    Column("lifted_at", BigInteger),
    Column("lifted_event_id", BigInteger),
)

events = Table(
    "events",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("phone_number", String(16), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("source", String(16), nullable=False),
    Column("event_at", BigInteger, nullable=False),
    Column("received_at", BigInteger, nullable=False),
    Column("provider", String(32)),
    Column("provider_message_id", FreeString(200)),
    Column("text", FreeText),
    Column("actor", FreeString(200)),
    Column("reason", FreeText),
    Column("details", FreeText),
    # The provider's send time as it came, when it was not believed (see domain.inbound).
    Column("provider_time_raw", FreeString(200)),
    # The account's hash chain (storage.chain): position, links, and the digests it hashes.
    Column("chain_seq", BigInteger),
    Column("prev_hash", LargeBinary(32)),
    Column("hash", LargeBinary(32)),
    Column("text_digest", LargeBinary(32)),
    Column("number_digest", LargeBinary(32)),
    UniqueConstraint(
        "account_id",
        "provider",
        "provider_message_id",
        "phone_number",
        name="uq_events_provider_message_sender",
    ),
    Index("ix_events_number", "account_id", "phone_number", "event_at"),
    Index("ix_events_received", "account_id", "received_at"),
    Index("ix_events_chain", "account_id", "chain_seq", unique=True),
    Index("ix_events_account_time", "account_id", "event_at"),
    sqlite_autoincrement=True,
)

event_chains = Table(
    "event_chains",
    metadata,
    # One row per account: the length and last hash of its chain, locked by each append.
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("length", BigInteger, nullable=False),
    Column("head", LargeBinary(32), nullable=False),
)

keywords = Table(
    "keywords",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("keyword", FreeString(100), nullable=False),
    Column("action", String(16), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    UniqueConstraint("account_id", "keyword", name="uq_keywords_account_keyword"),
)

webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("url", Text, nullable=False),
    Column("secret", Text, nullable=False),  # sealed (storage.secrets)
    Column("created_at", BigInteger, nullable=False),
    Column("disabled_at", BigInteger),
    sqlite_autoincrement=True,
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("endpoint_id", ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), nullable=False),
    Column("event_id", BigInteger, nullable=False),
    Column("message_id", String(64), nullable=False, unique=True),
    Column("payload", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", BigInteger, nullable=False),
    Column("locked_until", BigInteger),
    Column("last_status_code", Integer),
    Column("last_error", Text),
    Column("created_at", BigInteger, nullable=False),
    Column("delivered_at", BigInteger),
    Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    sqlite_autoincrement=True,
)

webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("delivery_id", ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), nullable=False),
    Column("attempted_at", BigInteger, nullable=False),
    Column("status_code", Integer),
    Column("error", Text),
    Column("duration_ms", Integer),
    sqlite_autoincrement=True,
)

inbound_parts = Table(
    "inbound_parts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("provider", String(32), nullable=False),
    Column("sender", String(32), nullable=False),
    Column("concat_ref", FreeString(64), nullable=False),
    Column("part", Integer, nullable=False),
    Column("total", Integer, nullable=False),
    Column("text", FreeText, nullable=False),
    Column("payload", FreeText, nullable=False),
    Column("received_at", BigInteger, nullable=False),
    UniqueConstraint(
        "account_id", "provider", "sender", "concat_ref", "part", name="uq_inbound_parts_part"
    ),
)

held_opt_outs = Table(
    # An inbound STOP kept in a node's spool while its list was locked (PostgreSQL):
    # ``check`` and ``filter`` answer "stopped" for it on every node until it is recorded.
    "held_opt_outs",
    metadata,
    Column("spool_name", String(100), primary_key=True),
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("phone_number", String(16), nullable=False),
    Column("node", String(32), nullable=False),
    Column("held_at", BigInteger, nullable=False),
    Index("ix_held_opt_outs_number", "account_id", "phone_number"),
)

inbound_endpoints = Table(
    "inbound_endpoints",
    metadata,
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("provider", String(32), primary_key=True),
    Column("enabled", Boolean, nullable=False, server_default=true()),
    Column("secret", Text),  # sealed (storage.secrets); set: signatures are required
    Column("signature_method", String(32)),
    Column("updated_at", BigInteger, nullable=False),
)

dashboard_sessions = Table(
    "dashboard_sessions",
    metadata,
    # SHA-256 of the session id in the cookie: a copy of this table opens nothing.
    Column("id_hash", String(64), primary_key=True),
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("method", String(16), nullable=False),
    Column("key_id", ForeignKey("api_keys.id", ondelete="CASCADE")),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Index("ix_dashboard_sessions_account", "account_id"),
    Index("ix_dashboard_sessions_expires", "expires_at"),
)

dashboard_sign_in_failures = Table(
    "dashboard_sign_in_failures",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("client", String(64), nullable=False),
    # SHA-256 (hex) of the name typed, as account names are compared; not an
    # account id, so that names no account has are counted alike (0015).
    Column("name_key", String(64), nullable=False),
    Column("failed_at", BigInteger, nullable=False),
    Index("ix_dashboard_sign_in_failures_client", "client", "failed_at"),
    Index("ix_dashboard_sign_in_failures_name", "name_key", "failed_at"),
    Index("ix_dashboard_sign_in_failures_time", "failed_at"),
    sqlite_autoincrement=True,
)

review_items = Table(
    "review_items",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("phone_number", String(16), nullable=False),
    # The reply event the message was recorded as; its time is the opt-out's if confirmed.
    Column("event_id", BigInteger, nullable=False),
    Column("message_at", BigInteger, nullable=False),
    Column("text", FreeText, nullable=False),
    Column("language", String(8), nullable=False),
    Column("phrase", FreeString(200), nullable=False),
    Column("status", String(16), nullable=False),  # pending, confirmed, dismissed
    Column("created_at", BigInteger, nullable=False),
    Column("decided_at", BigInteger),
    Column("decided_by", FreeString(200)),
    Column("decision_reason", FreeText),
    Column("decision_event_id", BigInteger),
    UniqueConstraint("account_id", "event_id", name="uq_review_items_event"),
    Index("ix_review_items_status", "account_id", "status", "created_at"),
    Index("ix_review_items_pending_age", "status", "created_at"),
    sqlite_autoincrement=True,
)

server_settings = Table(
    "server_settings",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

# Confirmations (domain.confirmations): who signs them and how they are sent, the
# account's own texts, and every confirmation given (inline or through the outbox).
confirmation_settings = Table(
    "confirmation_settings",
    metadata,
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("enabled", Boolean, nullable=False, server_default=true()),
    Column("sender", FreeString(40)),
    Column("smspartner_key", Text),  # sealed (storage.secrets); set: stoplist sends them
    Column("updated_at", BigInteger, nullable=False),
)

confirmation_texts = Table(
    "confirmation_texts",
    metadata,
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("language", String(8), primary_key=True),
    Column("text", FreeText, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

confirmations = Table(
    "confirmations",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("phone_number", String(16), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("language", String(8), nullable=False),
    Column("text", FreeText, nullable=False),
    Column("event_id", BigInteger, nullable=False),
    Column("channel", String(16), nullable=False),  # inline or smspartner
    # inline: answered; smspartner: pending, delivered, failed (as webhook deliveries)
    Column("status", String(16), nullable=False),
    Column("sender", FreeString(40)),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", BigInteger),
    Column("locked_until", BigInteger),
    Column("last_status_code", Integer),
    Column("last_error", Text),
    Column("created_at", BigInteger, nullable=False),
    Column("delivered_at", BigInteger),
    Index("ix_confirmations_number", "account_id", "phone_number", "kind", "created_at"),
    Index("ix_confirmations_event", "account_id", "event_id"),
    Index("ix_confirmations_due", "status", "next_attempt_at"),
    sqlite_autoincrement=True,
)
