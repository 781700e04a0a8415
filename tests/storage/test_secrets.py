"""Secrets at rest: hashed where they are only compared, sealed where they are read back."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

from alembic import command
from sqlalchemy import text

from stoplist.domain.accounts import Accounts
from stoplist.domain.dashboard_access import DashboardAccess
from stoplist.domain.inbound_endpoints import InboundEndpoints
from stoplist.domain.webhooks import Webhooks
from stoplist.storage.database import HEAD_REVISION, Database
from stoplist.storage.migrate import alembic_config, current_revision
from stoplist.storage.secrets import KEY_FILE_ENV, SEALED_PREFIX
from tests.support import run_cli


def _row(db: Database, sql: str, **params: object) -> tuple:
    with db.engine.connect() as conn:
        return tuple(conn.execute(text(sql), params).one())


def test_no_secret_is_stored_in_plain_text(db, account):
    token = account.account.inbound_token
    InboundEndpoints(db, account.account).require_signatures("twilio", "twilio-auth-token-1")
    created = Webhooks(db, account.account).add("https://crm.example.com/hook")
    session_key = DashboardAccess(db).secret_key()

    sealed_token, digest = _row(
        db,
        "SELECT inbound_token, inbound_token_hash FROM accounts WHERE id = :id",
        id=account.account.id,
    )
    assert sealed_token.startswith(SEALED_PREFIX) and token not in sealed_token
    assert digest == hashlib.sha256(token.encode()).hexdigest()
    (twilio,) = _row(
        db,
        "SELECT secret FROM inbound_endpoints WHERE account_id = :id AND provider = 'twilio'",
        id=account.account.id,
    )
    assert twilio.startswith(SEALED_PREFIX) and "twilio-auth-token-1" not in twilio
    (webhook,) = _row(
        db, "SELECT secret FROM webhook_endpoints WHERE id = :id", id=created.endpoint.id
    )
    assert webhook.startswith(SEALED_PREFIX) and created.secret not in webhook
    (stored_key,) = _row(
        db, "SELECT value FROM server_settings WHERE name = 'dashboard_secret_key'"
    )
    assert stored_key.startswith(SEALED_PREFIX) and session_key not in stored_key

    # ... and every one of them reads back.
    assert Accounts(db).get(account.account.id).inbound_token == token
    assert InboundEndpoints(db, account.account).get("twilio").secret == "twilio-auth-token-1"
    assert Webhooks(db, account.account).list()[0].secret == created.secret
    assert DashboardAccess(db).secret_key() == session_key


def test_the_key_is_made_beside_a_sqlite_database_readable_by_its_owner_only(tmp_path):
    database = tmp_path / "fresh.db"
    run_cli("accounts", "create", "acme", "--database", str(database), env={KEY_FILE_ENV: ""})
    key = Path(f"{database}-secrets.key")
    assert key.exists()
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert run_cli("inbound", "urls", "acme", "--database", str(database), env={KEY_FILE_ENV: ""})


def test_a_missing_or_different_key_stops_the_process_with_a_clear_message(tmp_path):
    database = str(tmp_path / "keyed.db")
    key = tmp_path / "first.key"
    run_cli("accounts", "create", "acme", "--database", database, env={KEY_FILE_ENV: str(key)})

    missing = run_cli(
        "inbound", "urls", "acme", "--database", database,
        env={KEY_FILE_ENV: str(tmp_path / "gone.key")}, check=False,
    )  # fmt: skip
    assert missing.returncode != 0
    assert (
        missing.stderr.startswith("error: the secrets key file")
        and "Traceback" not in missing.stderr
    )
    assert "gone.key is missing" in " ".join(missing.stderr.split())
    assert not (tmp_path / "gone.key").exists()  # no new key is made for a database with secrets

    other = tmp_path / "other.key"
    other.write_text("S4aGmCUuzJS2OL6O0G5kc4M8LTK9HBmzrn1ECDiYjps=\n")
    wrong = run_cli(
        "inbound", "urls", "acme", "--database", database, env={KEY_FILE_ENV: str(other)},
        check=False,
    )  # fmt: skip
    assert wrong.returncode != 0 and "is not the one" in " ".join(wrong.stderr.split())

    good = run_cli("inbound", "urls", "acme", "--database", database, env={KEY_FILE_ENV: str(key)})
    assert "/inbound/" in good.stdout


def test_a_database_with_plain_secrets_is_sealed_by_the_upgrade(fresh_database_url, tmp_path):
    db = Database(fresh_database_url)
    try:
        command.upgrade(alembic_config(db), "0002")
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO accounts (name, inbound_token, twilio_auth_token, created_at) "
                    "VALUES ('old', 'plain-token', 'plain-twilio', 1)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO webhook_endpoints (account_id, url, secret, created_at) "
                    "SELECT id, 'https://crm.example.com/h', 'whsec_cGxhaW4tc2VjcmV0', 1 "
                    "FROM accounts"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO server_settings (name, value) "
                    "VALUES ('dashboard_secret_key', 'plain-session-key')"
                )
            )
        db.migrate()
        assert current_revision(db) == HEAD_REVISION
        with db.engine.connect() as conn:
            dump = " ".join(
                str(value)
                for table in (
                    "accounts",
                    "webhook_endpoints",
                    "server_settings",
                    "inbound_endpoints",
                )
                for row in conn.execute(text(f"SELECT * FROM {table}"))
                for value in row
            )
        for plain in ("plain-token", "plain-twilio", "cGxhaW4tc2VjcmV0", "plain-session-key"):
            assert plain not in dump
        account = Accounts(db).find_by_inbound_token("plain-token")
        assert account is not None and account.name == "old"
        assert InboundEndpoints(db, account).get("twilio").secret == "plain-twilio"
        assert Webhooks(db, account).list()[0].secret == "whsec_cGxhaW4tc2VjcmV0"
        assert DashboardAccess(db).secret_key() == "plain-session-key"
    finally:
        db.dispose()
