"""Dashboard passwords: argon2id hashes, with scrypt hashes from earlier releases still read.

Parameters are OWASP's first argon2id recommendation (19 MiB, two passes, one
lane): strong enough against offline guessing while a burst of sign-ins on a
small server stays within memory. Hashes made with weaker parameters or with
the old scrypt scheme verify as before and are replaced on the next successful
sign-in (see ``needs_rehash``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
_SCRYPT_PREFIX = "scrypt$"
_SCRYPT_MAXMEM = 64 * 1024 * 1024


class PasswordRejected(ValueError):
    """A new password shorter than ``shortest`` or longer than ``longest`` characters."""

    def __init__(self, *, shortest: int | None = None, longest: int | None = None) -> None:
        said = f"at least {shortest}" if shortest is not None else f"at most {longest}"
        super().__init__(f"the password must have {said} characters")
        self.shortest = shortest
        self.longest = longest


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordRejected(shortest=MIN_PASSWORD_LENGTH)
    if len(password) > MAX_PASSWORD_LENGTH:
        raise PasswordRejected(longest=MAX_PASSWORD_LENGTH)


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` is the one ``stored`` was made from (argon2id or legacy scrypt)."""
    if stored.startswith(_SCRYPT_PREFIX):
        return _verify_scrypt(password, stored)
    try:
        return _HASHER.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """Whether a hash that just verified should be replaced by one made today."""
    if stored.startswith(_SCRYPT_PREFIX):
        return True
    try:
        return _HASHER.check_needs_rehash(stored)
    except InvalidHashError:
        return True


@cache
def dummy_hash() -> str:
    """A hash to verify against when there is none, so timing tells nothing."""
    return hash_password(secrets.token_urlsafe(16))


def _verify_scrypt(password: str, stored: str) -> bool:
    try:
        _scheme, n, r, p, salt, digest = stored.split("$")
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=_SCRYPT_MAXMEM,
            dklen=len(expected),
        )
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)
