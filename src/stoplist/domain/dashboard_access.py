"""Who may open an account's dashboard, and for how long.

Staff sign in with one of the account's API keys or with the account's
dashboard password (set by an operator from the command line). A signed-in
session is a row in the database named by the SHA-256 of a random id that only
the browser holds, so every server process sees the same sessions and ending
one (signing out, revoking its key, changing the password) takes effect at
once everywhere. Sessions last ``SESSION_SECONDS`` from sign-in.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import Connection

from stoplist.domain import clock
from stoplist.domain.accounts import Accounts, account_id_named, hash_secret
from stoplist.domain.dashboard_passwords import (
    PasswordRejected,
    check_new_password,
    dummy_hash,
    hash_password,
    needs_rehash,
    verify_password,
)
from stoplist.domain.dashboard_throttle import SignInThrottle, client_key
from stoplist.domain.errors import AccountNameAmbiguous, AccountNotFound, StoplistError
from stoplist.records.models import Account
from stoplist.storage import dashboard as store
from stoplist.storage.database import Database

__all__ = [
    "SESSION_SECONDS",
    "DashboardAccess",
    "Grant",
    "PasswordRejected",
    "SignInFailed",
    "SignInThrottled",
]

SECRET_SETTING = "dashboard_secret_key"
SESSION_SECONDS = 12 * 3600
_KEY, _PASSWORD = "key", "password"


class SignInFailed(Exception):
    """Wrong key, name or password; deliberately silent about which."""


class SignInThrottled(SignInFailed):
    """Too many wrong passwords lately from this address; API keys still work."""


@dataclass(frozen=True, slots=True)
class Grant:
    """How a session was opened: ``method`` is ``key`` (with its id) or ``password``."""

    account_id: int
    method: str
    key_id: int | None = None

    @property
    def actor(self) -> str:
        """Who the events recorded through this session are attributed to."""
        if self.method == _KEY:
            return f"dashboard (API key #{self.key_id})"
        return "dashboard (password)"


def _session_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _account_id_or_none(conn: Connection, name: str) -> int | None:
    """The account ``name`` signs in to; None for an unknown or ambiguous name alike."""
    try:
        return account_id_named(conn, name)
    except AccountNameAmbiguous:
        return None


class DashboardAccess:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.accounts = Accounts(db)
        self.throttle = SignInThrottle(db)

    def set_password(self, account: Account, password: str) -> None:
        """A new password; the sessions opened with the old one end with it."""
        check_new_password(password)
        hashed = hash_password(password)
        with self.db.write() as conn:
            store.set_password_hash(conn, account.id, hashed)
            store.delete_sessions(conn, account.id, method=_PASSWORD)

    def clear_password(self, account: Account) -> None:
        with self.db.write() as conn:
            store.set_password_hash(conn, account.id, None)
            store.delete_sessions(conn, account.id, method=_PASSWORD)

    def sign_in_with_key(self, api_key: str) -> Grant:
        """Never throttled: keys are far too random to guess, and staff must always get in."""
        try:
            account = self.accounts.authenticate(api_key)
        except StoplistError:
            raise SignInFailed() from None
        with self.db.read() as conn:
            key_id = store.active_key_id(conn, account.id, hash_secret(api_key.strip()))
        if key_id is None:
            raise SignInFailed()
        return Grant(account.id, _KEY, key_id)

    def sign_in_with_password(self, name: str, password: str, client: str | None = None) -> Grant:
        """Check a password, within the limits of ``stoplist.domain.dashboard_throttle``.

        The account is found as the command line finds it (``account_id_named``:
        ``shop`` is the account ``Shop``). A name no account has, or several
        have, fails as a wrong password does, counted under the name as the
        look-up compares it and after as long a check, so sign-in never
        tells which names exist. ``client`` is the address the request came
        from.
        """
        with self.db.read() as conn:
            account_id = _account_id_or_none(conn, name)
            stored = store.password_hash(conn, account_id)
        counted_as = client_key(client)
        attempt = self.throttle.attempt(counted_as, name)
        if attempt is None:
            raise SignInThrottled()
        # Hash even when there is nothing to compare with, so timing says nothing.
        matches = verify_password(password, stored or dummy_hash())
        if account_id is None or stored is None or not matches:
            raise SignInFailed()
        self.throttle.succeeded(counted_as, name, attempt)
        if needs_rehash(stored):
            with self.db.write() as conn:
                store.replace_password_hash(conn, account_id, stored, hash_password(password))
        return Grant(account_id, _PASSWORD)

    def open_session(self, grant: Grant, *, now: int | None = None) -> str:
        """Record a new session for ``grant``; the returned id goes to the browser only.

        Ended sessions are removed on the way.
        """
        now = clock.now_us() if now is None else now
        token = secrets.token_urlsafe(32)
        with self.db.write() as conn:
            store.delete_expired_sessions(conn, now)
            store.insert_session(
                conn,
                _session_hash(token),
                grant.account_id,
                grant.method,
                grant.key_id,
                now=now,
                expires_at=now + SESSION_SECONDS * clock.MICROS,
            )
        return token

    def resume(self, token: str) -> tuple[Grant, Account] | None:
        """The session's grant and account, if it is still open and its key still active."""
        with self.db.read() as conn:
            row = store.live_session(conn, _session_hash(token), clock.now_us())
        if row is None:
            return None
        account_id, method, key_id = row
        try:
            return Grant(account_id, method, key_id), self.accounts.get(account_id)
        except AccountNotFound:
            return None

    def end_sessions(self, account: Account) -> int:
        """Sign everyone out of ``account``'s dashboard; returns how many sessions ended."""
        with self.db.write() as conn:
            return store.delete_sessions(conn, account.id)

    def close_session(self, token: str) -> None:
        with self.db.write() as conn:
            store.delete_session(conn, _session_hash(token))

    def secret_key(self, configured: str | None = None) -> str:
        """The key session cookies are signed with, the same for every server process.

        A ``configured`` key (``STOPLIST_SECRET_KEY``) wins; otherwise one is
        made on first use and kept, sealed, in the database that all the
        processes share.
        """
        if configured:
            return configured
        with self.db.write() as conn:
            return store.sealed_setting_or_insert(
                conn, SECRET_SETTING, lambda: secrets.token_hex(32)
            )
