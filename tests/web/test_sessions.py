"""Sessions, CSRF and password sign-in at the HTTP level, against a real server."""

from __future__ import annotations

import httpx

from tests.support import Server, run_cli
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
    short = run_cli(
        "dashboard", "set-password", name, "--database", database_url, input="short\n", check=False
    )
    assert short.returncode != 0 and "at least" in short.stderr
    done = run_cli(
        "dashboard", "set-password", name, "--database", database_url, input=PASSWORD + "\n"
    )
    assert "password set" in done.stdout and PASSWORD not in done.stdout

    with httpx.Client(base_url=server.base_url, headers={"Accept-Language": "en"}) as client:
        wrong = sign_in_http(client, method="password", account=name, password=PASSWORD + "!")
        assert wrong.status_code == 401 and "Sign-in failed" in wrong.text
        right = sign_in_http(client, method="password", account=name, password=PASSWORD)
        assert right.status_code == 303
        assert client.get("/dashboard/").status_code == 200

        run_cli("dashboard", "set-password", name, "--clear", "--database", database_url)
        # Clearing the password ends the sessions it opened, and it no longer signs in.
        assert client.get("/dashboard/").status_code == 303
        again = sign_in_http(client, method="password", account=name, password=PASSWORD)
        assert again.status_code == 401


def test_every_server_process_on_the_database_accepts_the_session(
    server: Server, database_url, account, tmp_path
):
    other = Server(database_url, tmp_path / "second.log").start()
    try:
        with httpx.Client(base_url=server.base_url) as client:
            sign_in_http(client, method="key", api_key=account.api_key)
            cookie = client.cookies["stoplist_session"]
        with httpx.Client(base_url=other.base_url) as client:
            client.cookies.set("stoplist_session", cookie)
            assert client.get("/dashboard/").status_code == 200
    finally:
        other.stop()
