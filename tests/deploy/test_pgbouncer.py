"""A node behind PgBouncer in transaction mode, as docs/scaling.md describes it.

Debian's PgBouncer (1.18) cannot keep track of prepared statements: a
statement psycopg prepared on one server connection is asked for on
another, and the request fails. It fails as an unavailable database (503,
code 94) whose message and log say which setting to change. With
``STOPLIST_PREPARED_STATEMENTS=0`` the node prepares none, and every call
works through the pooler.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from stoplist.domain.accounts import Accounts
from stoplist.storage.database import Database
from tests.conftest import LIST_CACHE_ENV
from tests.support import REQUIRE_POSTGRES, Server, free_port, postgres_url_with, started

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
_CALLS = 40
UNAVAILABLE = 94
ADVICE = "Set STOPLIST_PREPARED_STATEMENTS=0 on every node"


def _config(directory: Path, port: int) -> Path:
    """Few server connections for many clients: they are shared transaction by transaction."""
    (directory / "users.txt").write_text('"postgres" ""\n')
    config = directory / "pgbouncer.ini"
    config.write_text(
        "[databases]\n"
        "* = host=127.0.0.1 port=5432\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\n"
        f"auth_type = trust\nauth_file = {directory / 'users.txt'}\n"
        "pool_mode = transaction\ndefault_pool_size = 3\nmax_client_conn = 500\n"
        "unix_socket_dir =\n"
        f"logfile = {directory / 'pgbouncer.log'}\npidfile = {directory / 'pgbouncer.pid'}\n"
        "ignore_startup_parameters = extra_float_digits,options,application_name\n"
    )
    return config


def _wait_listening(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("pgbouncer did not start")


@pytest.fixture
def pgbouncer() -> Iterator[int]:
    """A PgBouncer in transaction mode in front of the test PostgreSQL: its port."""
    if not os.access(PGBOUNCER, os.X_OK):
        if REQUIRE_POSTGRES:
            pytest.fail("pgbouncer is not installed (.ci/run installs it)")
        pytest.skip("pgbouncer is not installed")
    # It refuses to run as root, so it runs as postgres, which cannot enter
    # pytest's own directories: its files go in a directory of their own.
    directory = Path(tempfile.mkdtemp(prefix="stoplist-pgbouncer-"))
    directory.chmod(0o777)
    port = free_port()
    command = [PGBOUNCER, str(_config(directory, port))]
    if os.geteuid() == 0:
        command[1:1] = ["-u", "postgres"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        _wait_listening(port, process)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(directory, ignore_errors=True)


def _answers(http: httpx.Client, key: str) -> list[tuple[str, httpx.Response]]:
    """Each call a sender makes, ``_CALLS`` times over: an add, a check, a list, a filter."""
    answers = []
    for index in range(_CALLS):
        number = f"+336{index:08d}"
        for path, params in (
            ("add", {"phoneNumber": number}),
            ("check", {"phoneNumber": number}),
            ("list", {}),
            ("filter", {"phoneNumbers": number}),
        ):
            answer = http.post(f"/v1/stop-sms/{path}", data={"apiKey": key, **params})
            answers.append((path, answer))
    return answers


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_node_without_prepared_statements_works_through_pgbouncer_transaction_mode(
    own_db: Database, pgbouncer: int, tmp_path: Path
) -> None:
    key = Accounts(own_db).create("pooled").api_key  # migrated directly, as documented
    through_pooler = postgres_url_with(own_db.url, port=pgbouncer)
    env = {"STOPLIST_PREPARED_STATEMENTS": "0", LIST_CACHE_ENV: str(tmp_path / "lists")}
    node = Server(through_pooler, tmp_path / "server.log", env=env)
    with started(node), httpx.Client(base_url=node.base_url, timeout=30) as http:
        answers = _answers(http, key)
        listed = http.get("/v1/stop-sms/list", params={"apiKey": key}).json()
    failures = [(path, a.status_code, a.text[:200]) for path, a in answers if a.status_code != 200]
    assert failures == []
    assert listed["nbData"] == _CALLS
    assert ADVICE not in (tmp_path / "server.log").read_text()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_lost_prepared_statements_answer_database_unavailable_with_the_remedy(
    own_db: Database, pgbouncer: int, tmp_path: Path
) -> None:
    key = Accounts(own_db).create("pooled").api_key
    through_pooler = postgres_url_with(own_db.url, port=pgbouncer)
    env = {LIST_CACHE_ENV: str(tmp_path / "lists")}
    node = Server(through_pooler, tmp_path / "server.log", env=env)
    headers = {"Accept-Language": "en"}
    with started(node), httpx.Client(base_url=node.base_url, timeout=30, headers=headers) as http:
        answers = _answers(http, key)
    refused = [(path, answer) for path, answer in answers if answer.status_code != 200]
    assert refused, "PgBouncer 1.18 kept every prepared statement: nothing was tested"
    odd = [(path, a.status_code, a.text[:200]) for path, a in refused if a.status_code != 503]
    assert odd == []
    for _path, answer in refused:
        body = answer.json()
        assert (body["success"], body["code"]) == (False, UNAVAILABLE)
        assert "STOPLIST_PREPARED_STATEMENTS=0" in body["message"]
        assert "PgBouncer 1.21" in body["message"]
        assert answer.headers["Retry-After"]
    log = (tmp_path / "server.log").read_text()
    assert log.count(ADVICE) == 1
    assert "Traceback" not in log and "unhandled error" not in log
    assert key not in log
