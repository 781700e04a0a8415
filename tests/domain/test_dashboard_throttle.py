"""The sign-in throttle's rule, on the database every worker shares."""

from __future__ import annotations

from secrets import token_hex

import pytest

from stoplist.domain import clock
from stoplist.domain.dashboard_throttle import (
    ACCOUNT_LIMIT,
    ADDRESS_LIMIT,
    WINDOW,
    SignInThrottle,
    client_key,
)
from stoplist.storage import dashboard as store


@pytest.mark.parametrize(
    ("host", "key"),
    [
        ("192.0.2.7", "192.0.2.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),
        ("::ffff:192.0.2.7", "192.0.2.7"),
        (None, "unknown"),
        ("testclient", "testclient"),
    ],
)
def test_addresses_are_counted_one_ipv6_subscriber_block_at_a_time(host, key):
    assert client_key(host) == key


def test_an_address_is_paused_after_its_failures_whatever_the_account(db, account, other_account):
    throttle = SignInThrottle(db)
    client, now = "198.51.100.1", clock.now_us()
    for index in range(ADDRESS_LIMIT):
        target = account if index % 2 else other_account
        assert throttle.attempt(client, target.account.name, now=now) is not None
    assert throttle.attempt(client, account.account.name, now=now) is None
    assert throttle.attempt(client, "no such account", now=now) is None
    # Another address is not concerned, and the pause ends with the window.
    assert throttle.attempt("198.51.100.2", account.account.name, now=now) is not None
    later = now + (WINDOW + 1) * clock.MICROS
    assert throttle.attempt(client, account.account.name, now=later) is not None
    # Failures too old to count are removed, not kept forever.
    with db.read() as conn:
        assert store.count_failures(conn, 0, client=client) == 1


def test_an_account_under_attack_still_opens_to_an_address_that_has_not_failed(db, account):
    throttle = SignInThrottle(db)
    target, now = account.account.name, clock.now_us()
    attackers = [f"203.0.113.{n}" for n in range(ACCOUNT_LIMIT)]
    for address in attackers:
        assert throttle.attempt(address, target, now=now) is not None
    # Each attacking address has failed once only, yet may not try again ...
    assert throttle.attempt(attackers[0], target, now=now) is None
    # ... while staff at an address that has not failed keep signing in.
    staff = throttle.attempt("192.0.2.50", target, now=now)
    assert staff is not None
    throttle.succeeded("192.0.2.50", target, staff)
    assert throttle.attempt("192.0.2.50", target, now=now) is not None


def test_a_right_password_forgives_only_that_accounts_failures(db, account, other_account):
    throttle = SignInThrottle(db)
    client, now = "198.51.100.9", clock.now_us()
    for _ in range(ADDRESS_LIMIT - 1):
        throttle.attempt(client, other_account.account.name, now=now)
    mine = throttle.attempt(client, account.account.name, now=now)
    assert mine is not None
    throttle.succeeded(client, account.account.name, mine)
    # Signing in to one's own account does not reset guesses made at another.
    throttle.attempt(client, account.account.name, now=now)
    assert throttle.attempt(client, account.account.name, now=now) is None


def test_a_name_no_account_has_is_counted_as_sign_in_compares_names(db):
    """Pausing at names that are an account's only would tell which ones are."""
    throttle, now = SignInThrottle(db), clock.now_us()
    name = f"Nobody {token_hex(4)}"
    attackers = [f"203.0.114.{n}" for n in range(ACCOUNT_LIMIT)]
    for index, address in enumerate(attackers):
        typed = name.lower() if index % 2 else f" {name.upper()} "
        assert throttle.attempt(address, typed, now=now) is not None
    assert throttle.attempt(attackers[0], name, now=now) is None
    assert throttle.attempt("192.0.2.60", name, now=now) is not None
