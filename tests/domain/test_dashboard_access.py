"""Signing in to the dashboard, and sessions that end when they should."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from stoplist.domain import clock
from stoplist.domain.dashboard_access import (
    SESSION_SECONDS,
    DashboardAccess,
    PasswordRejected,
    SignInFailed,
    SignInThrottled,
)
from stoplist.domain.dashboard_throttle import ADDRESS_LIMIT
from stoplist.storage import dashboard as store
from stoplist.storage.schema import dashboard_sessions
from tests.domain.test_dashboard_passwords import scrypt_hash


def test_sign_in_by_password_and_by_key(db, account):
    access = DashboardAccess(db)
    name = account.account.name
    with pytest.raises(SignInFailed):
        access.sign_in_with_password(name, "whatever-password")  # none set yet
    with pytest.raises(PasswordRejected):
        access.set_password(account.account, "short")
    access.set_password(account.account, "a long enough password")
    grant = access.sign_in_with_password(name, "a long enough password")
    assert grant.account_id == account.account.id and grant.actor == "dashboard (password)"
    with pytest.raises(SignInFailed):
        access.sign_in_with_password(name, "a wrong password!")
    with pytest.raises(SignInFailed):
        access.sign_in_with_password("no such account", "a long enough password")

    key_grant = access.sign_in_with_key(account.api_key)
    assert key_grant.actor.startswith("dashboard (API key #")
    with pytest.raises(SignInFailed):
        access.sign_in_with_key(account.api_key + "x")


def test_sessions_end_on_sign_out_new_password_key_revocation_and_expiry(db, account):
    access = DashboardAccess(db)
    access.set_password(account.account, "a long enough password")
    by_password = access.open_session(
        access.sign_in_with_password(account.account.name, "a long enough password")
    )
    by_key = access.open_session(access.sign_in_with_key(account.api_key))
    signing_out = access.open_session(access.sign_in_with_key(account.api_key))
    resumed = access.resume(by_password)
    assert resumed is not None and resumed[1] == account.account

    access.close_session(signing_out)
    assert access.resume(signing_out) is None
    assert access.resume(by_key) is not None

    # A new password ends the sessions opened with the old one, not those opened with keys.
    access.set_password(account.account, "another long password")
    assert access.resume(by_password) is None
    assert access.resume(by_key) is not None

    access.accounts.revoke_key(account.account, account.api_key)
    assert access.resume(by_key) is None
    with pytest.raises(SignInFailed):
        access.sign_in_with_key(account.api_key)

    assert access.resume("never issued") is None


def test_sessions_expire_and_old_rows_are_removed(db, account):
    access = DashboardAccess(db)
    grant = access.sign_in_with_key(account.api_key)
    long_ago = clock.now_us() - (SESSION_SECONDS + 1) * clock.MICROS
    expired = access.open_session(grant, now=long_ago)
    assert access.resume(expired) is None
    with db.read() as conn:
        before = conn.execute(select(dashboard_sessions.c.id_hash)).scalars().all()
    access.open_session(grant)
    with db.read() as conn:
        after = conn.execute(select(dashboard_sessions.c.id_hash)).scalars().all()
    assert len(set(before) - set(after)) >= 1


def test_only_a_hash_of_the_session_id_is_stored(db, account):
    access = DashboardAccess(db)
    token = access.open_session(access.sign_in_with_key(account.api_key))
    with db.read() as conn:
        stored = conn.execute(select(dashboard_sessions.c.id_hash)).scalars().all()
    assert token not in stored
    assert all(token not in value for value in stored)


def test_a_scrypt_password_from_an_earlier_release_signs_in_and_is_rehashed(db, account):
    access = DashboardAccess(db)
    with db.write() as conn:
        store.set_password_hash(conn, account.account.id, scrypt_hash("an older password"))
    other = access.open_session(
        access.sign_in_with_password(account.account.name, "an older password")
    )
    with db.read() as conn:
        stored = store.password_hash(conn, account.account.id)
    assert stored is not None and stored.startswith("$argon2id$")
    # The rehash is not a password change: sessions stay open, and the password still works.
    assert access.resume(other) is not None
    access.sign_in_with_password(account.account.name, "an older password")


def test_wrong_passwords_pause_the_address_not_the_key_or_other_addresses(db, account):
    access = DashboardAccess(db)
    access.set_password(account.account, "the right password")
    name = account.account.name
    for _ in range(ADDRESS_LIMIT):
        with pytest.raises(SignInFailed) as failed:
            access.sign_in_with_password(name, "a wrong password", "192.0.2.99")
        assert not isinstance(failed.value, SignInThrottled)
    with pytest.raises(SignInThrottled):
        access.sign_in_with_password(name, "the right password", "192.0.2.99")
    # Keys still open the dashboard, and staff elsewhere still sign in with the password.
    assert access.sign_in_with_key(account.api_key).account_id == account.account.id
    assert access.sign_in_with_password(name, "the right password", "192.0.2.100")


def test_the_session_secret_is_made_once_and_shared(db):
    first = DashboardAccess(db).secret_key()
    assert len(first) >= 32 and DashboardAccess(db).secret_key() == first
    assert DashboardAccess(db).secret_key("from-the-settings") == "from-the-settings"
