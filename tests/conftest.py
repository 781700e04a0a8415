"""Fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL tests are skipped, with the reason, when no server is reachable;
with ``STOPLIST_REQUIRE_POSTGRES=1`` (as in CI) they fail instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from stoplist.domain.accounts import Accounts
from stoplist.domain.webhook_urls import ALLOW_PRIVATE_ENV
from stoplist.records.models import Account
from stoplist.settings import env_name
from stoplist.storage import secrets
from stoplist.storage.database import Database
from stoplist.storage.secrets import KEY_FILE_ENV as SECRETS_KEY_ENV
from tests.support import (
    REQUIRE_POSTGRES,
    MigratedTemplates,
    Server,
    postgres_unavailable_reason,
    temporary_postgres_database,
)

BACKENDS = ["sqlite", "postgresql"]
LIST_CACHE_ENV = env_name("list_cache_dir")
SMSPARTNER_ENV = env_name("smspartner_url")
UNREACHABLE_SMSPARTNER = "http://127.0.0.1:9/v1"
"""The discard port: nothing listens, so a test account's queued confirmation is never sent."""


@pytest.fixture(scope="session", autouse=True)
def secrets_key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One secrets key per test run, outside the working tree (PostgreSQL's default
    is the working directory); servers and commands the tests start inherit it."""
    path = tmp_path_factory.mktemp("secrets") / "secrets.key"
    os.environ[SECRETS_KEY_ENV] = str(path)
    secrets.use_key_file(path)
    return path


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A fresh, empty database of each backend, shared by one test session."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'stoplist.db'}"
        return
    reason = postgres_unavailable_reason()
    if reason:
        if REQUIRE_POSTGRES:
            pytest.fail(reason)
        pytest.skip(reason)
    with temporary_postgres_database() as url:
        yield url


@pytest.fixture(scope="session")
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    database.migrate()
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def migrated_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MigratedTemplates]:
    """One migrated database per backend and test worker, copied for each ``own_db``."""
    templates = MigratedTemplates(tmp_path_factory.mktemp("templates"))
    yield templates
    templates.drop()


@pytest.fixture
def own_db(
    database_url: str, migrated_templates: MigratedTemplates, tmp_path: Path
) -> Iterator[Database]:
    """A migrated database of the test's own, for tests that start their own servers.

    A copy of a database migrated once per session (``migrated_templates``),
    not a new one migrated again: the schema is the same, and no other
    connection ever touches the copy.
    """
    if database_url.startswith("sqlite"):
        copy = migrated_templates.sqlite_copy(tmp_path / "own.db")
    else:
        copy = migrated_templates.postgres_copy()
    with copy as url:
        database = Database(url)
        database.migrate()  # at the head already: one query, and the secrets key checked
        yield database
        database.dispose()


@pytest.fixture
def fresh_database_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A new empty database on the test's backend, which no other connection touches."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    with temporary_postgres_database() as url:
        yield url


@pytest.fixture(scope="session")
def server(
    database_url: str, db: Database, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """One real ``stoplist serve`` process per backend, on a free port.

    On PostgreSQL whole lists are kept where ``STOPLIST_LIST_CACHE_DIR`` says
    (there is no database file to keep them beside).
    """
    directory = tmp_path_factory.mktemp("server")
    env = {} if database_url.startswith("sqlite") else {LIST_CACHE_ENV: str(directory / "lists")}
    env[ALLOW_PRIVATE_ENV] = "1"  # tests' webhook receivers listen on 127.0.0.1
    env[SMSPARTNER_ENV] = UNREACHABLE_SMSPARTNER  # confirmations never leave the machine
    running = Server(database_url, directory / "server.log", env=env).start()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def strict_server(
    database_url: str, db: Database, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """A server on the same database with the production default: webhooks to public hosts only.

    Its dispatcher is off, so it never takes the other server's deliveries.
    """
    directory = tmp_path_factory.mktemp("strict")
    env = {
        "STOPLIST_WEBHOOK_DISPATCH": "0",
        ALLOW_PRIVATE_ENV: "",
        SMSPARTNER_ENV: UNREACHABLE_SMSPARTNER,
    }
    if not database_url.startswith("sqlite"):
        env[LIST_CACHE_ENV] = str(directory / "lists")
    running = Server(database_url, directory / "server.log", env=env).start()
    yield running
    running.stop()


@dataclass(frozen=True)
class AccountWithKey:
    account: Account
    api_key: str


_account_counter = 0


@pytest.fixture
def account(db: Database, request: pytest.FixtureRequest) -> AccountWithKey:
    """A new account of its own for each test, so tests never see each other's data."""
    global _account_counter
    _account_counter += 1
    name = f"{request.node.name[:150]}-{_account_counter}"
    created = Accounts(db).create(name)
    return AccountWithKey(created.account, created.api_key)


@pytest.fixture
def other_account(db: Database) -> AccountWithKey:
    global _account_counter
    _account_counter += 1
    created = Accounts(db).create(f"other-{_account_counter}")
    return AccountWithKey(created.account, created.api_key)


@pytest.fixture
def http(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        yield client


SEED_FIXTURES = Path(__file__).parent / "fixtures" / "seed"
