"""A database that cannot be opened ends any command with one line saying why.

Each case is tried with ``serve`` (which would otherwise print a long
traceback), in a process of its own, and with an ordinary command, in this
one unless it must run as another user. Nothing here leaves this machine:
the "wrong host" is a loopback address nobody listens on.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from stoplist.domain.accounts import Accounts
from stoplist.storage.database import Database
from tests.support import (
    Server,
    free_port,
    postgres_url_with,
    reachable_postgres_url,
    run_cli,
    run_cli_here,
    stoplist_command,
    temporary_postgres_database,
)

COMMANDS = [("serve", "--port", "1"), ("accounts", "list")]
NOBODY = 65534
SETPRIV = shutil.which("setpriv")


def _refusal(
    command: tuple[str, ...], url: str, *extra: str, user: int | None = None
) -> subprocess.CompletedProcess[str]:
    args = [*command, "--database", url, *extra]
    if user is None:
        # serve in a process of its own, as it starts; an ordinary command in this one
        return (run_cli if command[0] == "serve" else run_cli_here)(*args, check=False)
    as_user = [SETPRIV, f"--reuid={user}", f"--regid={user}", "--clear-groups"]
    return subprocess.run(
        [*as_user, *stoplist_command(*args)], capture_output=True, text=True, timeout=120
    )


def _assert_short(result: subprocess.CompletedProcess[str], *expected: str) -> None:
    lines = result.stderr.strip().splitlines()
    assert result.returncode != 0, result.stdout
    assert 1 <= len(lines) <= 2, result.stderr
    assert lines[0].startswith("error: cannot open the database "), result.stderr
    for text in expected:
        assert text in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture
def shared_directory() -> Iterator[Path]:
    """A directory other users can reach (pytest's own are private to root)."""
    made = Path(tempfile.mkdtemp(prefix="stoplist-db-errors-"))
    made.chmod(0o755)
    yield made
    shutil.rmtree(made, ignore_errors=True)


@pytest.fixture(scope="module")
def postgres() -> str:
    return reachable_postgres_url()


@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: command[0])
def test_sqlite_file_in_a_missing_directory(tmp_path, command):
    missing = tmp_path / "no-such-directory"
    result = _refusal(command, f"sqlite:///{missing}/stoplist.db")
    _assert_short(result, f"the directory {missing} does not exist")
    assert not missing.exists()


@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: command[0])
def test_file_that_is_not_a_database(tmp_path, command):
    notes = tmp_path / "notes.txt"
    notes.write_text("these are not the tables you are looking for\n" * 100)
    result = _refusal(command, str(notes))
    _assert_short(result, f"{notes} is not a SQLite database")
    assert notes.read_text().startswith("these are not")


def _as_another_user() -> int | None:
    """Root may write read-only files, so the read-only cases run as nobody."""
    if os.geteuid() != 0:
        return None
    if SETPRIV is None:
        pytest.skip("running as root without setpriv (util-linux) to become another user")
    return NOBODY


@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: command[0])
def test_read_only_file_and_read_only_directory(shared_directory, command):
    path = shared_directory / "stoplist.db"
    Database(str(path)).migrate()
    before = path.read_bytes()
    user = _as_another_user()
    if user is not None:
        os.chown(path, user, -1)
    path.chmod(0o444)
    shared_directory.chmod(0o777)
    _assert_short(_refusal(command, str(path), user=user), f"{path} is read-only")

    path.chmod(0o644)
    shared_directory.chmod(0o555)
    if user is not None:
        os.chown(shared_directory, user, -1)
    result = _refusal(command, str(path), user=user)
    _assert_short(result, f"the directory {shared_directory} is read-only")
    shared_directory.chmod(0o755)
    assert path.read_bytes() == before


@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: command[0])
def test_postgresql_wrong_port_host_role_and_database(postgres, command):
    server = make_url(postgres)
    port = free_port()
    wrong_port = postgres_url_with(postgres, port=port, password="hunter2")
    _assert_short(
        _refusal(command, wrong_port),
        f"nothing is listening at {server.host} port {port}",
        "***",
    )
    assert "hunter2" not in _refusal(command, wrong_port).stderr

    wrong_host = postgres_url_with(postgres, host="127.0.0.2")
    _assert_short(_refusal(command, wrong_host), "nothing is listening at 127.0.0.2")

    wrong_role = postgres_url_with(postgres, username="no_such_role_here")
    _assert_short(_refusal(command, wrong_role), 'no role "no_such_role_here"')

    wrong_database = postgres_url_with(postgres, database="no_such_database_here")
    _assert_short(_refusal(command, wrong_database), 'no database "no_such_database_here"')


def test_debug_log_level_adds_the_traceback(tmp_path):
    url = f"sqlite:///{tmp_path}/missing/stoplist.db"
    quiet = run_cli("serve", "--database", url, check=False)
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database\n" * 100)
    loud = run_cli("serve", "--database", str(notes), "--log-level", "debug", check=False)
    assert loud.returncode != 0 and quiet.returncode != 0
    assert "Traceback" in loud.stderr and "Traceback" not in quiet.stderr
    assert loud.stderr.strip().splitlines()[-1].startswith("error: cannot open the database")
    env = run_cli(
        "accounts",
        "list",
        "--database",
        str(notes),
        check=False,
        env={"STOPLIST_LOG_LEVEL": "debug"},
    )
    assert "Traceback" in env.stderr


def test_unsupported_database_url(tmp_path):
    result = run_cli_here(
        "accounts", "list", "--database", "mysql://u:hunter2@127.0.0.1/x", check=False
    )
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: --database: not a database stoplist supports")
    assert "hunter2" not in line


FRENCH = {"LANG": "fr_FR.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""}


def _french_line(command: tuple[str, ...], url: str) -> str:
    result = run_cli(*command, "--database", url, env=FRENCH, check=False)
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr
    [line] = [line for line in result.stderr.splitlines() if line.startswith("erreur")]
    return line


@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: command[0])
def test_sqlite_causes_in_french(tmp_path, command):
    missing = tmp_path / "absent"
    assert _french_line(command, f"sqlite:///{missing}/stoplist.db") == (
        f"erreur : impossible d'ouvrir la base {missing}/stoplist.db : "
        f"le répertoire {missing} n'existe pas : créez-le ou corrigez le chemin"
    )
    notes = tmp_path / "notes.txt"
    notes.write_text("these are not the tables you are looking for\n" * 100)
    assert _french_line(command, str(notes)) == (
        f"erreur : impossible d'ouvrir la base {notes} : "
        f"{notes} n'est pas une base SQLite (mauvais fichier ?)"
    )


@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: command[0])
def test_postgresql_causes_in_french(postgres, command):
    server = make_url(postgres)
    port = free_port()
    opening = "erreur : impossible d'ouvrir la base postgresql"
    line = _french_line(command, postgres_url_with(postgres, port=port, password="hunter2"))
    assert line.startswith(opening) and "***" in line and "hunter2" not in line, line
    assert line.endswith(
        f"/postgres : rien n'écoute sur {server.host} port {port} : "
        "PostgreSQL tourne-t-il sur cette machine, sur ce port ?"
    ), line

    line = _french_line(command, postgres_url_with(postgres, username="no_such_role_here"))
    assert line.startswith(opening), line
    assert line.endswith(
        f"/postgres : PostgreSQL sur {server.host} port {server.port or 5432} "
        "n'a pas de rôle \"no_such_role_here\" : vérifiez l'utilisateur dans l'URL"
    ), line


MISSING_FILE_COMMANDS = {
    "accounts list": lambda tmp: ["accounts", "list"],
    "backup": lambda tmp: ["backup", str(tmp / "backups")],
    "export": lambda tmp: ["export", "--account", "shop", "-o", str(tmp / "list.csv")],
    "inbound urls": lambda tmp: ["inbound", "urls", "shop"],
}


@pytest.mark.parametrize("command", MISSING_FILE_COMMANDS)
def test_a_missing_sqlite_file_is_refused_and_nothing_is_made(tmp_path, command):
    """A wrong path (a typo, another working directory) must not pass for an empty database."""
    wrong = tmp_path / "data" / "stoplst.db"
    wrong.parent.mkdir()
    (tmp_path / "backups").mkdir()
    args = MISSING_FILE_COMMANDS[command](tmp_path)
    by_flag = run_cli_here(*args, "--database", str(wrong), check=False)
    by_variable = run_cli_here(*args, env={"STOPLIST_DATABASE_URL": str(wrong)}, check=False)
    for result in (by_flag, by_variable):
        _assert_short(result, str(wrong), "--database", "STOPLIST_DATABASE_URL")
        assert result.returncode == 1
    assert list(wrong.parent.iterdir()) == []  # no database, key, -wal or -shm
    assert list((tmp_path / "backups").iterdir()) == []
    assert not (tmp_path / "list.csv").exists()


@pytest.mark.parametrize("command", MISSING_FILE_COMMANDS)
def test_a_postgresql_database_stoplist_never_started_is_refused_and_left_alone(tmp_path, command):
    """The PostgreSQL form of the typo: another application's database, or ``postgres``."""
    (tmp_path / "backups").mkdir()
    with temporary_postgres_database() as url:
        result = run_cli_here(
            *MISSING_FILE_COMMANDS[command](tmp_path), "--database", url, check=False
        )
        _assert_short(result, "holds no stoplist database", "STOPLIST_DATABASE_URL")
        assert result.returncode == 1
        with psycopg.connect(url.replace("+psycopg", "")) as conn:
            tables = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            assert tables.fetchone() == (0,)  # no stoplist table was made in it
        run_cli_here("accounts", "create", "shop", "--database", url)
        run_cli_here("accounts", "list", "--database", url)


def test_a_missing_sqlite_file_in_french(tmp_path):
    wrong = tmp_path / "stoplst.db"
    assert _french_line(("accounts", "list"), str(wrong)) == (
        f"erreur : impossible d'ouvrir la base {wrong} : ce fichier n'existe pas : "
        "indiquez le vôtre avec --database ou STOPLIST_DATABASE_URL "
        "(seuls serve et accounts create créent une base)"
    )
    assert not wrong.exists()


def test_serve_and_accounts_create_start_a_new_database(tmp_path):
    created = tmp_path / "new.db"
    key = run_cli_here("accounts", "create", "shop", "--database", str(created)).stdout.strip()
    assert key and created.exists()
    listed = run_cli_here("accounts", "list", "--database", str(created), "--json")
    assert '"shop"' in listed.stdout
    served = tmp_path / "served.db"
    Server(f"sqlite:///{served}", tmp_path / "serve.log").start().stop()
    assert served.exists()


@pytest.mark.parametrize("url", ["sqlite:///", "sqlite://", "sqlite:///:memory:"])
def test_an_in_memory_database_is_refused(url):
    """It would keep nothing: a created account's key would open nothing, a server no table."""
    created = run_cli_here("accounts", "create", "shop", "--database", url, check=False)
    served = run_cli_here("serve", "--port", str(free_port()), "--database", url, check=False)
    for result in (created, served):
        assert result.returncode == 2 and result.stdout == ""
        [line] = result.stderr.strip().splitlines()
        assert line.startswith(
            "error: --database: an in-memory database keeps nothing: "
            "give a SQLite file path or postgresql://: 'sqlite:"
        )


def test_a_port_that_is_not_a_number_is_refused():
    url = "postgresql://postgres:hunter2@127.0.0.1:abc/db"
    result = run_cli_here("accounts", "list", "--database", url, check=False)
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: --database: the port in the URL is not a number: ")
    assert "hunter2" not in line and "Traceback" not in result.stderr


def test_a_password_in_the_query_is_masked_in_the_error(postgres):
    server = make_url(postgres)
    port = free_port()
    url = postgres_url_with(postgres, port=port) + "?password=hunter2&sslmode=disable"
    result = _refusal(("accounts", "list"), url)
    _assert_short(result, f"nothing is listening at {server.host} port {port}", "password=***")
    assert "hunter2" not in result.stderr


def test_an_unencoded_at_sign_in_the_password_is_never_shown(postgres):
    url = postgres_url_with(postgres, port=free_port(), password="p@hunter2")
    result = run_cli_here("accounts", "list", "--database", url.replace("%40", "@"), check=False)
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert "write an '@' of the user name or password as %40" in line
    assert "hunter2" not in line


READ_ONLY_WRITES = {
    "accounts create": ["accounts", "create", "another"],
    "keys create": ["keys", "create", "shop"],
    "erase": ["erase", "+33612345678", "--account", "shop", "--yes"],
    "import": ["import", "{file}", "--account", "shop"],
}


@pytest.mark.parametrize("command", READ_ONLY_WRITES)
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_write_refused_by_a_read_only_database_ends_in_one_line(own_db, tmp_path, command):
    """A standby, or ``default_transaction_read_only``: what the server answers with code 94."""
    Accounts(own_db).create("shop")
    url = own_db.engine.url.render_as_string(hide_password=False)
    name = own_db.engine.url.database
    own_db.dispose()
    numbers = tmp_path / "numbers.csv"
    numbers.write_text("phone\n+33612345678\n")
    with psycopg.connect(url.replace("+psycopg", "")) as conn:
        conn.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
    args = [arg.format(file=numbers) for arg in READ_ONLY_WRITES[command]]
    result = run_cli_here(*args, "--database", url, check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("error: the database is read-only: the command stopped"), (
        result.stderr
    )
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) <= 2
