"""How many wrong passwords the dashboard takes, counted in the database.

The rule, in the order it is applied to a password sign-in:

1. A client address with ``ADDRESS_LIMIT`` wrong passwords in the last
   ``WINDOW`` seconds, against any accounts, is paused: the guesser is
   stopped first, and only the guesser.
2. An account with ``ACCOUNT_LIMIT`` wrong passwords in the window, from all
   addresses together, is under attack: addresses that have themselves
   failed against it in the window are paused for it. An address that has
   not failed against it still signs in with the right password, so an
   attacker cannot lock its staff out, and API keys are never throttled.

Failures are rows shared by every worker and every server on the database.
An attempt is counted and written as a failure in one locked step *before*
its password is checked, and removed when the password is right, so a burst
of parallel guesses cannot overtake the count. IPv6 clients are counted per
/64, the block one subscriber holds.
"""

from __future__ import annotations

import ipaddress

from stoplist.domain import clock
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


class SignInThrottle:
    def __init__(self, db: Database) -> None:
        self.db = db

    def attempt(self, client: str, account_id: int | None, *, now: int | None = None) -> int | None:
        """Record a password attempt as failed; ``None`` if it may not be made at all.

        Returns the attempt's id, to pass to ``succeeded`` if the password is right.
        Failures too old to count are removed on the way.
        """
        now = clock.now_us() if now is None else now
        since = now - WINDOW * clock.MICROS
        with self.db.write() as conn:
            store.lock_attempts(conn)
            store.delete_old_failures(conn, since)
            if store.count_failures(conn, since, client=client) >= ADDRESS_LIMIT:
                return None
            if (
                account_id is not None
                and store.count_failures(conn, since, account_id=account_id) >= ACCOUNT_LIMIT
                and store.count_failures(conn, since, client=client, account_id=account_id)
            ):
                return None
            return store.insert_failure(conn, client, account_id, now)

    def succeeded(self, client: str, account_id: int, attempt_id: int) -> None:
        """The password was right: this address's failures against the account are forgiven."""
        with self.db.write() as conn:
            store.clear_failures(conn, client, account_id, attempt_id)
