"""Dashboard password hashes: argon2id today, scrypt from earlier releases still read."""

from __future__ import annotations

import base64
import hashlib
import os

from stoplist.domain.dashboard_passwords import hash_password, needs_rehash, verify_password


def scrypt_hash(password: str) -> str:
    """A hash exactly as earlier releases stored it."""
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    encoded = [base64.b64encode(salt).decode(), base64.b64encode(digest).decode()]
    return "$".join(["scrypt", "16384", "8", "1", *encoded])


def test_passwords_are_salted_argon2id_hashes():
    first, second = hash_password("correct horse battery"), hash_password("correct horse battery")
    assert first != second and first.startswith("$argon2id$")
    assert "correct horse" not in first
    assert verify_password("correct horse battery", first)
    assert not verify_password("correct horse batterY", first)
    assert not verify_password("anything", "not a hash")
    assert not needs_rehash(first)


def test_scrypt_hashes_from_earlier_releases_verify_and_ask_to_be_replaced():
    old = scrypt_hash("an older password")
    assert verify_password("an older password", old)
    assert not verify_password("an older passworD", old)
    assert not verify_password("an older password", old[:-6] + "AAAAA=")
    assert needs_rehash(old)
    # Weaker argon2 parameters are upgraded too.
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("x" * 12)
    assert verify_password("x" * 12, weak) and needs_rehash(weak)
