"""How many wrong passwords the dashboard takes, counted in the database.

The rule, in the order it is applied to a password sign-in:

1. A client address with ``ADDRESS_LIMIT`` wrong passwords in the last
   ``WINDOW`` seconds, against any accounts, is paused: the guesser is
   stopped first, and only the guesser.
2. A name with ``ACCOUNT_LIMIT`` wrong passwords in the window, from all
   addresses together, is under attack: addresses that have themselves
   failed against it in the window are paused for it. An address that has
   not failed against it still signs in with the right password, so an
   attacker cannot lock its staff out, and API keys are never throttled.

Names are counted by ``name_key``, as the sign-in looks them up (``shop`` and
``Shop`` are one), and whether or not an account has them: a rule applied to
existing names only would answer "paused" for them alone and tell an
attacker which names exist. Only the SHA-256 of the key is stored, so a
password typed in the name field by mistake is not kept in the clear.

Failures are rows shared by every worker and every server on the database.
An attempt is counted and written as a failure in one locked step *before*
its password is checked, and removed when the password is right, so a burst
of parallel guesses cannot overtake the count. IPv6 clients are counted per
/64, the block one subscriber holds.
"""

from __future__ import annotations

import hashlib
import ipaddress

from stoplist.domain import clock
from stoplist.domain.accounts import name_key
from stoplist.storage import dashboard as store
from stoplist.storage.database import Database

ADDRESS_LIMIT = 10
ACCOUNT_LIMIT = 50
WINDOW = 15 * 60
_UNKNOWN_CLIENT = "unknown"


def client_key(host: str | None) -> str:
    """The address a sign-in is counted against: IPv4 as is, IPv6 by its /64."""
    if not host:
        return _UNKNOWN_CLIENT
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:64]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def _name_digest(name: str) -> str:
    """What a typed name's failures are stored under: the SHA-256 of its ``name_key``."""
    return hashlib.sha256(name_key(name).encode()).hexdigest()


class SignInThrottle:
    def __init__(self, db: Database) -> None:
        self.db = db

    def attempt(self, client: str, name: str, *, now: int | None = None) -> int | None:
        """Record a password attempt at ``name`` as failed; ``None`` if it may not be made at all.

        ``name`` is the name as typed. Returns the attempt's id, to pass to
        ``succeeded`` if the password is right. Failures too old to count are
        removed on the way.
        """
        now = clock.now_us() if now is None else now
        since = now - WINDOW * clock.MICROS
        named = _name_digest(name)
        with self.db.write() as conn:
            store.lock_attempts(conn)
            store.delete_old_failures(conn, since)
            if store.count_failures(conn, since, client=client) >= ADDRESS_LIMIT:
                return None
            under_attack = store.count_failures(conn, since, name_key=named) >= ACCOUNT_LIMIT
            if under_attack and store.count_failures(conn, since, client=client, name_key=named):
                return None
            return store.insert_failure(conn, client, named, now)

    def succeeded(self, client: str, name: str, attempt_id: int) -> None:
        """The password was right: this address's failures at the name are forgiven."""
        with self.db.write() as conn:
            store.clear_failures(conn, client, _name_digest(name), attempt_id)
