"""``stoplist serve`` refuses bad settings and busy ports with one line, and its workers agree."""

from __future__ import annotations

import socket

import httpx

from stoplist.domain.accounts import Accounts
from tests.support import Server, free_port, run_cli


def _one_error_line(result) -> str:
    # A serve that started the database before failing says so first (where it is).
    lines = [
        line
        for line in result.stderr.strip().splitlines()
        if not line.startswith("created a new database at ")
    ]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def test_out_of_range_and_non_numeric_ports(tmp_path):
    database = str(tmp_path / "s.db")
    flag = run_cli("serve", "--database", database, "--port", "70000", check=False)
    assert flag.returncode == 2
    assert _one_error_line(flag) == "error: --port: not a port number (1 to 65535): '70000'"
    env = run_cli("serve", "--database", database, env={"STOPLIST_PORT": "abc"}, check=False)
    assert env.returncode == 2
    assert _one_error_line(env) == "error: STOPLIST_PORT: not a port number: 'abc'"
    # The flag wins over the environment, bad or not.
    both = run_cli(
        "serve", "--database", database, "--port", "0", env={"STOPLIST_PORT": "abc"}, check=False
    )
    assert _one_error_line(both).startswith("error: --port: ")


def test_a_port_in_use(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli(
            "serve", "--database", str(tmp_path / "s.db"), "--port", str(port), check=False
        )
    assert result.returncode == 1
    line = _one_error_line(result)
    assert line.startswith(f"error: cannot listen on 127.0.0.1 port {port}: ")
    assert "already in use" in line


def test_workers_serve_with_the_settings_given_as_flags(database_url, db, tmp_path):
    """``--workers 2`` re-imports the app in each process: the flags must reach them."""
    created = Accounts(db).create("flags-to-workers")
    port = free_port()
    server = Server(
        database_url,
        tmp_path / "workers.log",
        port=port,
        extra_args=("--workers", "2", "--log-level", "warning"),
        env={"STOPLIST_DATABASE_URL": "sqlite:////nonexistent/never-used.db"},
    ).start()
    try:
        answers = {
            httpx.get(
                f"{server.base_url}/v1/stop-sms/list", params={"apiKey": created.api_key}
            ).status_code
            for _ in range(20)
        }
    finally:
        server.stop()
    assert answers == {200}
    # warning level: no access log lines from either worker.
    assert '"GET /v1/stop-sms/list' not in server.log_path.read_text()


def test_a_spool_directory_that_cannot_be_written(tmp_path):
    """Told as the server starts, not the first time an import holds a list."""
    blocked = tmp_path / "a file"
    blocked.write_text("")
    result = run_cli(
        "serve",
        "--database",
        str(tmp_path / "s.db"),
        env={"STOPLIST_INBOUND_SPOOL_DIR": str(blocked / "spool")},
        check=False,
    )
    assert result.returncode == 1
    line = _one_error_line(result)
    assert line.startswith(f"error: cannot use the inbound spool directory {blocked}")
    assert "STOPLIST_INBOUND_SPOOL_DIR" in line
