"""Who may open an account's dashboard, and for how long.

Staff sign in with one of the account's API keys or with the account's
dashboard password (set by an operator from the command line). Passwords are
stored as scrypt hashes with a random salt. A signed-in session remembers
*how* it was granted, so revoking that key or changing that password ends it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import threading
import time
from dataclasses import dataclass

from stoplist.domain.accounts import Accounts, hash_secret
from stoplist.domain.errors import AccountNotFound, StoplistError
from stoplist.domain.models import Account
from stoplist.storage import dashboard as store
from stoplist.storage.database import Database

SECRET_SETTING = "dashboard_secret_key"
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
_SALT_BYTES = 16
_HASH_BYTES = 32
MAX_FAILURES = 10
FAILURE_WINDOW = 15 * 60
"""Password attempts per account name and process before sign-in pauses (seconds)."""
_MAX_TRACKED_NAMES = 10_000
_DUMMY_HASH = "$".join(["scrypt", "16384", "8", "1", "A" * 22 + "==", "A" * 43 + "="])


class SignInFailed(Exception):
    """Wrong key, name or password; deliberately silent about which."""


class SignInThrottled(SignInFailed):
    """Too many wrong passwords for this account lately; API keys still work."""


class PasswordRejected(ValueError):
    """A new password that does not meet the rules."""


@dataclass(frozen=True, slots=True)
class Grant:
    """How a session was opened: ``method`` is ``key`` or ``password``."""

    account_id: int
    method: str
    reference: str

    @property
    def actor(self) -> str:
        """Who the events recorded through this session are attributed to."""
        if self.method == "key":
            return f"dashboard (API key #{self.reference})"
        return "dashboard (password)"


def hash_password(password: str) -> str:
    salt = os.urandom(_SALT_BYTES)
    digest = _scrypt(password, salt, _SCRYPT_N, _SCRYPT_R, _SCRYPT_P)
    return "$".join(
        [
            "scrypt",
            str(_SCRYPT_N),
            str(_SCRYPT_R),
            str(_SCRYPT_P),
            base64.b64encode(salt).decode(),
            base64.b64encode(digest).decode(),
        ]
    )


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordRejected(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise PasswordRejected(f"the password must have at most {MAX_PASSWORD_LENGTH} characters")


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode(), salt=salt, n=n, r=r, p=p, maxmem=64 * 1024 * 1024, dklen=_HASH_BYTES
    )


def _fingerprint(stored_hash: str) -> str:
    """Names one stored password without revealing anything about it."""
    return hashlib.sha256(stored_hash.encode()).hexdigest()[:16]


class _Failures:
    """Recent wrong passwords per account name, to slow guessing down.

    Kept in memory per process: API keys are far too random to guess, so only
    passwords need it, and a restart forgetting the count is acceptable.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: dict[str, list[float]] = {}

    def blocked(self, name: str) -> bool:
        with self._lock:
            return len(self._recent(name)) >= MAX_FAILURES

    def record(self, name: str) -> None:
        with self._lock:
            if len(self._seen) >= _MAX_TRACKED_NAMES:
                self._seen.clear()
            self._seen[name] = [*self._recent(name), time.monotonic()]

    def clear(self, name: str) -> None:
        with self._lock:
            self._seen.pop(name, None)

    def _recent(self, name: str) -> list[float]:
        horizon = time.monotonic() - FAILURE_WINDOW
        return [moment for moment in self._seen.get(name, ()) if moment > horizon]


class DashboardAccess:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.accounts = Accounts(db)
        self._failures = _Failures()

    def set_password(self, account: Account, password: str) -> None:
        check_new_password(password)
        hashed = hash_password(password)
        with self.db.write() as conn:
            store.set_password_hash(conn, account.id, hashed)

    def clear_password(self, account: Account) -> None:
        with self.db.write() as conn:
            store.set_password_hash(conn, account.id, None)

    def sign_in_with_key(self, api_key: str) -> Grant:
        try:
            account = self.accounts.authenticate(api_key)
        except StoplistError:
            raise SignInFailed() from None
        with self.db.read() as conn:
            key_id = store.active_key_id(conn, account.id, hash_secret(api_key.strip()))
        if key_id is None:
            raise SignInFailed()
        return Grant(account.id, "key", str(key_id))

    def sign_in_with_password(self, name: str, password: str) -> Grant:
        name = name.strip()
        if self._failures.blocked(name.casefold()):
            raise SignInThrottled()
        with self.db.read() as conn:
            found = store.password_hash_by_name(conn, name)
        stored = found[1] if found else None
        # Hash even when there is nothing to compare with, so timing says nothing.
        matches = verify_password(password, stored or _DUMMY_HASH)
        if found is None or stored is None or not matches:
            self._failures.record(name.casefold())
            raise SignInFailed()
        self._failures.clear(name.casefold())
        return Grant(found[0], "password", _fingerprint(stored))

    def resume(self, grant: Grant) -> Account | None:
        """The grant's account if the grant still holds (key active, password unchanged)."""
        with self.db.read() as conn:
            if grant.method == "key":
                valid = grant.reference.isdigit() and store.key_is_active(
                    conn, grant.account_id, int(grant.reference)
                )
            elif grant.method == "password":
                stored = store.password_hash(conn, grant.account_id)
                valid = stored is not None and hmac.compare_digest(
                    _fingerprint(stored), grant.reference
                )
            else:
                valid = False
        if not valid:
            return None
        try:
            return self.accounts.get(grant.account_id)
        except AccountNotFound:
            return None

    def secret_key(self, configured: str | None = None) -> str:
        """The key sessions are signed with, the same for every server process.

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
