"""Sessions, CSRF and password sign-in at the HTTP level, against a real server."""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from secrets import token_hex

import httpx
import pytest
from sqlalchemy import text

from stoplist.domain.accounts import Accounts
from stoplist.domain.dashboard_access import DashboardAccess
from stoplist.domain.dashboard_throttle import ACCOUNT_LIMIT, ADDRESS_LIMIT
from stoplist.storage import dashboard as dashboard_store
from tests.domain.test_dashboard_passwords import scrypt_hash
from tests.support import Server, run_cli_here
from tests.web.conftest import csrf_token_of, sign_in_http

PASSWORD = "staff password 2024"


def test_session_cookie_is_signed_httponly_samesite_and_expires(server: Server, account):
    with httpx.Client(base_url=server.base_url) as client:
        first = client.get("/dashboard/")
        assert first.status_code == 303 and first.headers["location"].startswith("/dashboard/login")
        answer = sign_in_http(client, method="key", api_key=account.api_key)
        assert answer.status_code == 303 and answer.headers["location"] == "/dashboard/"
        cookie = answer.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Max-Age=43200" in cookie
        assert "Path=/dashboard" in cookie
        assert account.api_key not in cookie
        assert client.get("/dashboard/").status_code == 200

        # A cookie altered by one character is worth nothing.
        value = client.cookies["stoplist_session"]
        middle = len(value) // 2
        flipped = "A" if value[middle] != "A" else "B"
        client.cookies.set("stoplist_session", value[:middle] + flipped + value[middle + 1 :])
        assert client.get("/dashboard/").status_code == 303


def test_sign_in_without_csrf_token_is_refused(server: Server, account):
    with httpx.Client(base_url=server.base_url) as client:
        client.get("/dashboard/login")
        answer = client.post("/dashboard/login", data={"method": "key", "api_key": account.api_key})
        assert answer.status_code == 403
        assert client.get("/dashboard/").status_code == 303


def test_cross_origin_post_is_refused_even_with_the_token(server: Server, account):
    with httpx.Client(base_url=server.base_url) as client:
        token = csrf_token_of(client.get("/dashboard/login"))
        answer = client.post(
            "/dashboard/login",
            data={"csrf_token": token, "method": "key", "api_key": account.api_key},
            headers={"Origin": "https://evil.example"},
        )
        assert answer.status_code == 403


def test_password_set_from_the_cli_signs_in_until_cleared(server: Server, database_url, account):
    name = account.account.name
    short = run_cli_here(
        "dashboard", "set-password", name, "--database", database_url, input="short\n", check=False
    )
    assert short.returncode != 0 and "at least" in short.stderr
    done = run_cli_here(
        "dashboard", "set-password", name, "--database", database_url, input=PASSWORD + "\n"
    )
    assert "password set" in done.stdout and PASSWORD not in done.stdout

    with httpx.Client(base_url=server.base_url, headers={"Accept-Language": "en"}) as client:
        wrong = sign_in_http(client, method="password", account=name, password=PASSWORD + "!")
        assert wrong.status_code == 401 and "Sign-in failed" in wrong.text
        right = sign_in_http(client, method="password", account=name, password=PASSWORD)
        assert right.status_code == 303
        assert client.get("/dashboard/").status_code == 200

        run_cli_here("dashboard", "set-password", name, "--clear", "--database", database_url)
        # Clearing the password ends the sessions it opened, and it no longer signs in.
        assert client.get("/dashboard/").status_code == 303
        again = sign_in_http(client, method="password", account=name, password=PASSWORD)
        assert again.status_code == 401


def test_every_server_process_on_the_database_accepts_the_session(
    server: Server, second_server: Server, account
):
    with httpx.Client(base_url=server.base_url) as client:
        sign_in_http(client, method="key", api_key=account.api_key)
        cookie = client.cookies["stoplist_session"]
    with httpx.Client(base_url=second_server.base_url) as client:
        client.cookies.set("stoplist_session", cookie)
        assert client.get("/dashboard/").status_code == 200


def _client(server: Server, address: str = "127.0.0.1") -> httpx.Client:
    """A client whose requests come from ``address`` (any of 127.0.0.0/8 works on Linux)."""
    return httpx.Client(
        base_url=server.base_url,
        transport=httpx.HTTPTransport(local_address=address),
        headers={"Accept-Language": "en"},
        timeout=60,
    )


def _password_sign_in(target: Server, address: str, name: str, password: str) -> int:
    """The status of one password sign-in to ``target`` from ``address``."""
    with _client(target, address) as client:
        return sign_in_http(client, method="password", account=name, password=password).status_code


@pytest.fixture(scope="module")
def second_server(
    server: Server, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """Another server process on the same database, as a second worker or machine would be.

    One for the module, like the session's ``server`` beside it: each test
    signs in to an account of its own, from addresses of its own, so no test
    meets another's sessions or counted failures, and a start is seconds of CPU.
    """
    other = Server(database_url, tmp_path_factory.mktemp("second") / "second.log").start()
    yield other
    other.stop()


def _set_password(database_url: str, account) -> str:
    name = account.account.name
    run_cli_here(
        "dashboard", "set-password", name, "--database", database_url, input=PASSWORD + "\n"
    )
    return name


def test_a_copied_cookie_is_worthless_once_signed_out_on_any_server(
    server: Server, second_server: Server, account
):
    with _client(server) as client:
        sign_in_http(client, method="key", api_key=account.api_key)
        copied = client.cookies["stoplist_session"]
        with _client(second_server) as thief:
            thief.cookies.set("stoplist_session", copied)
            assert thief.get("/dashboard/").status_code == 200
        token = csrf_token_of(client.get("/dashboard/"))
        assert client.post("/dashboard/logout", data={"csrf_token": token}).status_code == 303
    with _client(second_server) as thief:
        thief.cookies.set("stoplist_session", copied)
        answer = thief.get("/dashboard/numbers")
        assert answer.status_code == 303 and "/dashboard/login" in answer.headers["location"]


def test_an_operator_can_sign_everyone_out_of_an_account(
    server: Server, second_server: Server, database_url, account, other_account
):
    with _client(server) as mine, _client(second_server) as theirs:
        sign_in_http(mine, method="key", api_key=account.api_key)
        sign_in_http(theirs, method="key", api_key=other_account.api_key)
        done = run_cli_here(
            "dashboard", "sign-out", account.account.name, "--database", database_url
        )
        assert "Ended 1 dashboard session(s)" in done.stdout
        assert mine.get("/dashboard/").status_code == 303
        assert theirs.get("/dashboard/").status_code == 200


def test_revoking_the_key_ends_its_sessions_on_every_server(
    server: Server, second_server: Server, database_url, account
):
    with _client(server) as client:
        sign_in_http(client, method="key", api_key=account.api_key)
        copied = client.cookies["stoplist_session"]
    run_cli_here(
        "keys", "revoke", account.account.name, account.api_key, "--database", database_url
    )
    for target in (server, second_server):
        with _client(target) as client:
            client.cookies.set("stoplist_session", copied)
            assert client.get("/dashboard/").status_code == 303


def test_wrong_passwords_are_counted_across_servers_and_pause_only_the_guesser(
    server: Server, second_server: Server, database_url, account
):
    name = _set_password(database_url, account)
    both, guesser = (server, second_server), "127.0.0.2"
    for index in range(ADDRESS_LIMIT):
        assert _password_sign_in(both[index % 2], guesser, name, f"guess {index}") == 401
    for target in both:
        with _client(target, guesser) as client:
            paused = sign_in_http(client, method="password", account=name, password=PASSWORD)
            assert paused.status_code == 429 and "Too many wrong passwords" in paused.text
            assert client.get("/dashboard/").status_code == 303
            # A correct API key is never refused, even from the guessing address.
            by_key = sign_in_http(client, method="key", api_key=account.api_key)
            assert by_key.status_code == 303
    # Staff at another address sign in with the password as usual.
    assert _password_sign_in(second_server, "127.0.0.3", name, PASSWORD) == 303


def test_an_account_guessed_at_from_many_addresses_still_opens_to_its_staff(
    server: Server, second_server: Server, database_url, account
):
    name = _set_password(database_url, account)
    both = (server, second_server)
    attackers = [f"127.0.1.{n}" for n in range(1, ACCOUNT_LIMIT + 1)]
    for index, address in enumerate(attackers):
        assert _password_sign_in(both[index % 2], address, name, "guess") == 401
    # An address that failed may not try again while the account is under attack ...
    assert _password_sign_in(server, attackers[0], name, PASSWORD) == 429
    # ... but one that has not failed signs in, on either server.
    assert _password_sign_in(server, "127.0.2.1", name, PASSWORD) == 303
    assert _password_sign_in(second_server, "127.0.2.2", name, PASSWORD) == 303


def test_changing_the_password_ends_its_sessions_but_a_rehash_does_not(
    server: Server, database_url, db, account
):
    name = account.account.name
    with db.write() as conn:
        dashboard_store.set_password_hash(conn, account.account.id, scrypt_hash(PASSWORD))
    with _client(server, "127.0.0.4") as first, _client(server, "127.0.0.4") as second:
        answer = sign_in_http(first, method="password", account=name, password=PASSWORD)
        assert answer.status_code == 303
        with db.read() as conn:
            assert dashboard_store.password_hash(conn, account.account.id).startswith("$argon2id$")
        answer = sign_in_http(second, method="password", account=name, password=PASSWORD)
        assert answer.status_code == 303
        assert first.get("/dashboard/").status_code == 200
        new_password = "a new password 42\n"
        run_cli_here(
            "dashboard", "set-password", name, "--database", database_url, input=new_password
        )
        assert first.get("/dashboard/").status_code == 303
        assert second.get("/dashboard/").status_code == 303


def test_a_burst_of_parallel_guesses_on_two_servers_gets_no_more_than_the_limit(
    server: Server, second_server: Server, database_url, account
):
    name = _set_password(database_url, account)
    both, guesser = (server, second_server), "127.0.0.5"
    attempts = 4 * ADDRESS_LIMIT
    with ThreadPoolExecutor(max_workers=attempts) as pool:
        statuses = list(
            pool.map(
                lambda index: _password_sign_in(both[index % 2], guesser, name, f"guess {index}"),
                range(attempts),
            )
        )
    assert statuses.count(401) == ADDRESS_LIMIT
    assert statuses.count(429) == attempts - ADDRESS_LIMIT


def _refusal(answer: httpx.Response) -> tuple[int, str]:
    """A failed sign-in's status and the alert it shows."""
    found = re.search(r'<p class="notice error" role="alert"[^>]*>([^<]*)</p>', answer.text)
    assert found, answer.text
    return answer.status_code, found.group(1)


def test_a_name_is_found_ignoring_case_and_an_ambiguous_or_unknown_one_fails_as_a_wrong_password(
    server: Server, db
):
    tag = token_hex(4)
    accounts, access = Accounts(db), DashboardAccess(db)
    for name in (f"Twin {tag}", f"Second {tag}", f"Solo {tag}"):
        access.set_password(accounts.create(name).account, PASSWORD)
    with db.write() as conn:  # named so before names differing by case were refused
        conn.execute(
            text("UPDATE accounts SET name = :twin WHERE name = :second"),
            {"twin": f"TWIN {tag}", "second": f"Second {tag}"},
        )
    guesser = "127.0.3.1"
    tries = [
        (f"twin {tag}", PASSWORD),  # the password of both, but which account is meant?
        (f"nobody {tag}", PASSWORD),
        (f"solo {tag}", "a wrong password"),
    ]
    refusals = set()
    for index in range(ADDRESS_LIMIT):
        name, password = tries[index % len(tries)]
        with _client(server, guesser) as client:
            refusals.add(
                _refusal(sign_in_http(client, method="password", account=name, password=password))
            )
    assert refusals == {(401, "Sign-in failed: check what you typed.")}
    # Each of them was counted: the address is paused, whatever name it types.
    assert _password_sign_in(server, guesser, f"Solo {tag}", PASSWORD) == 429
    # Elsewhere, a unique name signs in in any case, and an exact one wins.
    assert _password_sign_in(server, "127.0.3.2", f"SOLO {tag}", PASSWORD) == 303
    assert _password_sign_in(server, "127.0.3.2", f"TWIN {tag}", PASSWORD) == 303


def _guessed_at_then_tried(
    both: tuple[Server, Server], attackers: list[str], typed: str, later: str, newcomer: str
) -> list[tuple[int, str]]:
    """``attackers`` spend their wrong passwords on ``typed`` (enough to put it under
    attack); then what ``newcomer``'s two wrong passwords at ``later`` are answered."""

    def spend(address: str) -> list[int]:
        return [
            _password_sign_in(both[index % 2], address, typed, f"guess {index}")
            for index in range(ADDRESS_LIMIT)
        ]

    with ThreadPoolExecutor(max_workers=len(attackers)) as pool:
        assert all(status == 401 for spent in pool.map(spend, attackers) for status in spent)
    answers = []
    for target in both:
        with _client(target, newcomer) as client:
            answer = sign_in_http(client, method="password", account=later, password="wrong")
            answers.append(_refusal(answer))
    return answers


def test_a_name_under_attack_is_answered_alike_whether_or_not_an_account_has_it(
    server: Server, second_server: Server, db
):
    """The pause for a name under attack cannot be told apart for an account with a
    password, one without, a name several have ignoring case, and a name none has."""
    tag = token_hex(4)
    accounts, access = Accounts(db), DashboardAccess(db)
    access.set_password(accounts.create(f"Shop {tag}").account, PASSWORD)
    accounts.create(f"Bare {tag}")
    for name in (f"Twin {tag}", f"Second {tag}"):
        access.set_password(accounts.create(name).account, PASSWORD)
    with db.write() as conn:  # named so before names differing by case were refused
        conn.execute(
            text("UPDATE accounts SET name = :twin WHERE name = :second"),
            {"twin": f"TWIN {tag}", "second": f"Second {tag}"},
        )
    names = {
        "password": (f"shop {tag}", f"SHOP {tag}"),
        "no password": (f"bare {tag}", f" BARE {tag} "),
        "ambiguous": (f"twin {tag}", f"tWIN {tag}"),
        "unknown": (f"nobody {tag}", f"NOBODY {tag}"),
    }
    per_name = ACCOUNT_LIMIT // ADDRESS_LIMIT
    both = (server, second_server)
    answers = {}
    for block, (kind, (typed, later)) in enumerate(names.items()):
        addresses = [f"127.0.4.{block * 10 + n}" for n in range(1, per_name + 2)]
        answers[kind] = _guessed_at_then_tried(both, addresses[:-1], typed, later, addresses[-1])
    failed = (401, "Sign-in failed: check what you typed.")
    throttled = (
        429,
        "Too many wrong passwords from your connection. "
        "Wait 15 minutes, or sign in with an API key.",
    )
    assert answers == {kind: [failed, throttled] for kind in names}
