"""``stoplist copy-database``: an installation moves to PostgreSQL and back, answering the same.

Real servers on the source and on each copy answer the same requests with
the same bytes (ids, dates, the hash chain's evidence); a copy refuses,
and writes nothing, whenever it could not be the whole of its source.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import httpx
import orjson
import psycopg
import pytest
from cryptography.fernet import Fernet

from stoplist.domain.accounts import Accounts
from stoplist.storage.database import Database
from stoplist.storage.held_opt_outs import TableHeldOptOuts
from stoplist.storage.secrets import KEY_FILE_ENV
from stoplist.storage.spool import Spool
from tests.conftest import LIST_CACHE_ENV
from tests.support import (
    Server,
    postgres_url_with,
    reachable_postgres_url,
    run_cli_here,
    started,
    stoplist_command,
    temporary_postgres_database,
)

_NUMBERS = ("+33611111111", "+33622222222", "+262692123456", "+33633333333")


@pytest.fixture
def postgres() -> str:
    """PostgreSQL's administrator URL (the test is skipped without a server)."""
    return reachable_postgres_url()


def _source(directory: Path) -> tuple[str, str, str]:
    """A SQLite installation with two accounts: its URL and each account's API key."""
    directory.mkdir(exist_ok=True)
    url = f"sqlite:///{directory / 'stoplist.db'}"
    db = Database(url)
    db.migrate()
    shop = Accounts(db).create("shop").api_key
    other = Accounts(db).create("other").api_key
    db.dispose()
    return url, shop, other


def _call(server: Server, path: str, **params: str) -> bytes:
    answer = httpx.post(f"{server.base_url}/v1/stop-sms/{path}", data=params, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.content


def _answers(server: Server, key: str) -> dict[str, bytes]:
    """What a client and a support agent read of one account."""
    answers = {
        "list": _call(server, "list", apiKey=key),
        "list.xml": _call(server, "list", apiKey=key, format="xml"),
    }
    for number in _NUMBERS:
        answers[f"check {number}"] = _call(server, "check", apiKey=key, phoneNumber=number)
        answers[f"history {number}"] = _call(server, "history", apiKey=key, phoneNumber=number)
    answers["evidence"] = _call(server, "evidence", apiKey=key, phoneNumber=_NUMBERS[0])
    return answers


def _serve(url: str, directory: Path) -> Server:
    directory.mkdir(exist_ok=True)
    return Server(url, directory / "server.log", env={LIST_CACHE_ENV: str(directory / "lists")})


def test_an_installation_moves_to_postgresql_and_back_answering_the_same(
    postgres: str, tmp_path: Path
) -> None:
    source_url, shop, other = _source(tmp_path / "source")
    (tmp_path / "source" / "numbers.csv").write_text("phoneNumber\n0611111111\n06 55 55 55 55\n")
    run_cli_here(
        "import", str(tmp_path / "source" / "numbers.csv"), "--account", "shop",
        "--database", source_url,
    )  # fmt: skip
    with started(_serve(source_url, tmp_path / "source")) as (server,):
        added = [
            orjson.loads(_call(server, "add", apiKey=shop, phoneNumber=number))["stopId"]
            for number in _NUMBERS[1:]
        ]
        _call(server, "delete", apiKey=shop, id=str(added[-1]))  # the highest stop id
        _call(server, "add", apiKey=other, phoneNumber=_NUMBERS[0])
        before = _answers(server, shop)
        highest_given = max(
            entry["id"] for entry in httpx.get(
                f"{server.base_url}/v1/stop-sms/list", params={"apiKey": other}
            ).json()["data"]
        )  # fmt: skip
    assert b'"stopped":false' in before[f"check {_NUMBERS[3]}"]

    with temporary_postgres_database() as postgres_url:
        said = run_cli_here("copy-database", postgres_url, "--database", source_url).stdout
        assert "2 account(s), 2 API key(s), 5 stop(s)" in said
        assert "shop: intact" in said and "other: intact" in said
        with started(_serve(postgres_url, tmp_path / "postgres")) as (copy,):
            assert _answers(copy, shop) == before
            # The deleted stop's id (and the other account's) is never given again.
            added = httpx.post(
                f"{copy.base_url}/v1/stop-sms/add",
                data={"apiKey": shop, "phoneNumber": "+33644444444"},
            ).json()
            assert added["stopId"] > highest_given
            moved = _answers(copy, shop)

        back_url = f"sqlite:///{tmp_path / 'back.db'}"
        run_cli_here("copy-database", back_url, "--database", postgres_url)
    with started(_serve(back_url, tmp_path / "back")) as (back,):
        assert _answers(back, shop) == moved
    audit = run_cli_here("audit", "verify", "--database", back_url).stdout
    assert audit.count(": intact") == 2


def test_a_copy_never_writes_over_a_sqlite_file(tmp_path: Path) -> None:
    source_url, _shop, _other = _source(tmp_path)
    target = tmp_path / "copy.db"
    run_cli_here("copy-database", str(target), "--database", source_url)
    before = target.read_bytes()
    refused = run_cli_here("copy-database", str(target), "--database", source_url, check=False)
    assert refused.returncode == 1
    assert "already exists: a copy goes into a new file" in refused.stderr
    assert target.read_bytes() == before


def test_a_copy_into_postgresql_is_refused_where_stoplist_or_another_application_has_data(
    postgres: str, tmp_path: Path
) -> None:
    source_url, _shop, _other = _source(tmp_path)
    with temporary_postgres_database() as url:
        run_cli_here("copy-database", url, "--database", source_url)
        again = run_cli_here("copy-database", url, "--database", source_url, check=False)
        assert again.returncode == 1
        assert "already holds stoplist data (accounts, api_keys" in again.stderr
        with psycopg.connect(url.replace("+psycopg", "")) as conn:
            assert conn.execute("SELECT count(*) FROM accounts").fetchone() == (2,)
    with temporary_postgres_database() as url:
        with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute("CREATE TABLE invoices (id int)")
        refused = run_cli_here("copy-database", url, "--database", source_url, check=False)
        assert refused.returncode == 1
        assert "tables that are not stoplist's (invoices)" in refused.stderr
        with psycopg.connect(url.replace("+psycopg", "")) as conn:
            tables = conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            ).fetchall()
        assert tables == [("invoices",)]
    maintenance = postgres_url_with(postgres, database="template1")
    refused = run_cli_here("copy-database", maintenance, "--database", source_url, check=False)
    assert refused.returncode == 1
    assert "one of PostgreSQL's own databases" in refused.stderr


def test_a_copy_waits_for_the_spool_to_be_written_into_the_source(tmp_path: Path) -> None:
    source_url, _shop, _other = _source(tmp_path)
    spool = Spool(tmp_path / "stoplist.db-inbound-spool")
    spool.put(b"a STOP acknowledged while the list was locked")
    target = tmp_path / "copy.db"
    refused = run_cli_here("copy-database", str(target), "--database", source_url, check=False)
    assert refused.returncode == 1
    assert "1 inbound message(s) wait in" in refused.stderr
    assert not target.exists()


def test_a_copy_of_postgresql_waits_for_stops_held_by_a_node(postgres: str, tmp_path: Path) -> None:
    source_url, _shop, _other = _source(tmp_path)
    with temporary_postgres_database() as url:
        run_cli_here("copy-database", url, "--database", source_url)
        db = Database(url)
        account = Accounts(db).get("shop")
        TableHeldOptOuts(db, tmp_path / "another-node-spool").hold(
            account.id, "+33611111111", "record"
        )
        db.dispose()
        target = tmp_path / "back.db"
        refused = run_cli_here("copy-database", str(target), "--database", url, check=False)
        assert refused.returncode == 1
        assert "1 STOP(s) wait in a server's spool" in refused.stderr
        assert not target.exists()


def _without_key_setting(*args: str) -> subprocess.CompletedProcess[str]:
    """The command as an operator runs it: each database's key file where it is by default."""
    env = {name: value for name, value in os.environ.items() if name != KEY_FILE_ENV}
    return subprocess.run(
        stoplist_command(*args), capture_output=True, text=True, env=env, timeout=120
    )


def test_the_copy_is_given_the_source_s_secrets_key_and_never_another(
    tmp_path: Path, secrets_key_file: Path
) -> None:
    source_url, _shop, _other = _source(tmp_path)
    shutil.copyfile(secrets_key_file, tmp_path / "stoplist.db-secrets.key")
    copied = _without_key_setting(
        "copy-database", str(tmp_path / "copy.db"), "--database", source_url
    )
    assert copied.returncode == 0, copied.stderr
    key = tmp_path / "copy.db-secrets.key"
    assert key.read_bytes() == secrets_key_file.read_bytes()
    assert key.stat().st_mode & 0o777 == 0o600
    audit = _without_key_setting("audit", "verify", "--database", str(tmp_path / "copy.db"))
    assert audit.returncode == 0 and audit.stdout.count(": intact") == 2

    another = tmp_path / "other.db-secrets.key"
    another.write_bytes(Fernet.generate_key() + b"\n")
    held = another.read_bytes()
    refused = _without_key_setting(
        "copy-database", str(tmp_path / "other.db"), "--database", source_url
    )
    assert refused.returncode == 1
    assert "holds another secrets key" in refused.stderr
    assert another.read_bytes() == held
    assert not (tmp_path / "other.db").exists()


def test_a_copy_names_what_it_cannot_reach_or_use(postgres: str, tmp_path: Path) -> None:
    source_url, _shop, _other = _source(tmp_path)
    cases = {
        "postgresql://postgres@127.0.0.1:5432/stoplist_absent": 'no database "stoplist_absent"',
        "mysql://example/stoplist": "not a database stoplist supports",
        source_url: "DEST is the database being copied",
        str(tmp_path / "no-such-directory" / "copy.db"): "no such directory",
    }
    for destination, said in cases.items():
        refused = run_cli_here("copy-database", destination, "--database", source_url, check=False)
        assert refused.returncode == 1, destination
        assert said in refused.stderr, refused.stderr
        assert "Traceback" not in refused.stderr


def test_a_destination_of_an_older_version_with_data_is_refused_as_it_is(
    postgres: str, tmp_path: Path
) -> None:
    """Not migrated first: refusing is no reason to change another installation's schema."""
    from alembic import command

    from stoplist.storage.migrate import alembic_config, current_revision

    source_url, _shop, _other = _source(tmp_path)
    with temporary_postgres_database() as url:
        older = Database(url)
        command.upgrade(alembic_config(older), "0012")
        with older.write() as conn:
            conn.exec_driver_sql(
                "INSERT INTO accounts (name, default_region, timezone, inbound_token, "
                "created_at) VALUES ('theirs', 'FR', 'Europe/Paris', 'token', 0)"
            )
        refused = run_cli_here("copy-database", url, "--database", source_url, check=False)
        assert refused.returncode == 1
        assert "already holds stoplist data (accounts)" in refused.stderr
        assert current_revision(older) == "0012"
        older.dispose()
