"""Helpers the tests share: real databases and a real ``stoplist serve`` process."""

from __future__ import annotations

import asyncio
import os
import pty
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import httpx
import psycopg
import pytest
from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    from stoplist.storage.database import Database

POSTGRES_ADMIN_URL = os.environ.get(
    "STOPLIST_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REQUIRE_POSTGRES = os.environ.get("STOPLIST_REQUIRE_POSTGRES") == "1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_unavailable_reason() -> str | None:
    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}: {exc}".strip()


def reachable_postgres_url() -> str:
    """The administrator's URL; skips the test without a server (fails when one is required)."""
    reason = postgres_unavailable_reason()
    if reason:
        if REQUIRE_POSTGRES:
            pytest.fail(reason)
        pytest.skip(reason)
    return POSTGRES_ADMIN_URL


def postgres_url_with(url: str, **changes: object) -> str:
    """``url`` with another user, host, port or database (the password kept in clear)."""
    return make_url(url).set(**changes).render_as_string(hide_password=False)


@contextmanager
def temporary_postgres_database(*, template: str | None = None) -> Iterator[str]:
    """A new PostgreSQL database, dropped afterwards: empty, or a copy of ``template``."""
    name = f"stoplist_test_{uuid.uuid4().hex[:12]}"
    copy_of = f' TEMPLATE "{template}"' if template else ""
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"{copy_of}')
    try:
        yield _postgres_database_url(name)
    finally:
        drop_postgres_database(name)


def _postgres_database_url(name: str) -> str:
    return f"{POSTGRES_ADMIN_URL.rsplit('/', 1)[0]}/{name}"


class MigratedTemplates:
    """Databases migrated to the latest revision once, copied for each test that wants its own.

    Running the migrations takes most of a second of a loaded machine's time
    (Alembic's import and every revision); a copy takes milliseconds: a file
    copy on SQLite, ``CREATE DATABASE ... TEMPLATE`` on PostgreSQL. A copy is
    the schema the migrations build, so what a test proves holds as for a
    database migrated of its own. PostgreSQL copies a template only while no
    connection is open to it: a template is connected to only while it is
    migrated, and each test worker has its own.
    """

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._sqlite: Path | None = None
        self._postgres: str | None = None

    @contextmanager
    def sqlite_copy(self, path: Path) -> Iterator[str]:
        """A copy of the migrated SQLite database at ``path``."""
        if self._sqlite is None:
            template = self._directory / "template.db"
            _migrate(f"sqlite:///{template}")
            self._sqlite = template
        # Closing its last connection has moved the write-ahead log into the file.
        assert not Path(f"{self._sqlite}-wal").exists(), "the template's log was left open"
        shutil.copyfile(self._sqlite, path)
        yield f"sqlite:///{path}"

    @contextmanager
    def postgres_copy(self) -> Iterator[str]:
        """A new PostgreSQL database copied from the migrated one, dropped afterwards."""
        if self._postgres is None:
            name = f"stoplist_template_{uuid.uuid4().hex[:12]}"
            with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            self._postgres = name
            _migrate(_postgres_database_url(name))
        with temporary_postgres_database(template=self._postgres) as url:
            yield url

    def drop(self) -> None:
        if self._postgres is not None:
            drop_postgres_database(self._postgres)


def _migrate(url: str) -> None:
    from stoplist.storage.database import Database

    database = Database(url)
    try:
        database.migrate()
    finally:
        database.dispose()


def drop_postgres_database(name: str, *, patience: float = 120.0) -> None:
    """``DROP DATABASE`` that waits out a checkpoint failing elsewhere on the server.

    Dropping a database asks for an immediate checkpoint. While the full-disk
    tests (``tests/faults``) hold a database on a full tablespace, the
    checkpointer cannot write its dirty pages and every such request fails
    ("checkpoint request failed") until that test has dropped its own
    database, seconds later; a drop made meanwhile by another test is tried
    again rather than failing that test.
    """
    deadline = time.monotonic() + patience
    while True:
        try:
            with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except psycopg.errors.InternalError_ as error:
            if "checkpoint" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def stoplist_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "stoplist", *args]


def run_cli(
    *args: str, env: dict[str, str] | None = None, input: str | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        stoplist_command(*args),
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        input=input,
        timeout=120,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"stoplist {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def run_cli_here(
    *args: str, env: dict[str, str] | None = None, input: str | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """``run_cli`` in this process: the same command, exit code and output, without
    the second or so a ``stoplist`` process takes to start.

    For checks of what a command does and says; what a terminal shows (Rich
    tables at a width, the language of the locale at start-up) is left to
    ``run_cli``, in a process of its own.
    """
    from typer.testing import CliRunner

    from stoplist.cli import app, language

    try:
        result = CliRunner().invoke(app, list(args), env=env, input=input)
    finally:
        language.choose(None)  # a --lang of this call is not the next one's
    if check and result.exit_code != 0:
        raise AssertionError(
            f"stoplist {' '.join(args)} failed:\n{result.output}\n{result.exception!r}"
        )
    return subprocess.CompletedProcess(
        ["stoplist", *args], result.exit_code, result.stdout, result.stderr
    )


def run_cli_on_terminal(*args: str, env: dict[str, str] | None = None) -> tuple[int, bytes, bytes]:
    """Run ``stoplist`` with stderr on a pseudo-terminal: exit code, stdout, what was drawn.

    The terminal is read while the command runs, so a chatty progress bar
    never fills it and blocks the command.
    """
    master, slave = pty.openpty()
    process = subprocess.Popen(
        stoplist_command(*args),
        stdout=subprocess.PIPE,
        stderr=slave,
        env={**os.environ, "TERM": "xterm", "COLUMNS": "100", **(env or {})},
    )
    os.close(slave)
    drawn = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        drawn += chunk
    stdout, _ = process.communicate(timeout=120)
    os.close(master)
    return process.returncode, stdout, drawn


@dataclass
class Server:
    """A running ``stoplist serve`` process."""

    database_url: str
    log_path: Path
    port: int = field(default_factory=free_port)
    extra_args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def list_cache(self) -> Path:
        """Where this server keeps copies of whole lists (its setting, else beside the file)."""
        from stoplist.settings import env_name

        configured = self.env.get(env_name("list_cache_dir"))
        if configured:
            return Path(configured)
        return Path(self.database_url.removeprefix("sqlite:///") + "-lists")

    def start(self) -> Server:
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            stoplist_command(
                "serve",
                "--port",
                str(self.port),
                "--database",
                self.database_url,
                *self.extra_args,
            ),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **self.env},
        )
        try:
            self.wait_ready()
        except BaseException:
            self.stop()  # never leave a server running that no test will stop
            raise
        return self

    def wait_ready(self, timeout: float = 120.0) -> None:
        """Until /healthz answers; generous, as a loaded CI machine starts Python slowly."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"stoplist serve exited:\n{self.log_path.read_text()}")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()  # never leave a half-started server behind
        raise RuntimeError(f"stoplist serve did not start:\n{self.log_path.read_text()}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()

    def restart(self) -> None:
        self.stop()
        self.start()

    def logs(self, *, containing: str = "", timeout: float = 5.0) -> str:
        """The log so far; with ``containing``, waits until it holds that text.

        A line is written once the answer is sent, so right after a request
        it may not be there yet.
        """
        deadline = time.monotonic() + timeout
        while True:
            text = self.log_path.read_text(errors="replace")
            if containing in text or time.monotonic() > deadline:
                return text
            time.sleep(0.05)


@contextmanager
def started(*servers: Server) -> Iterator[tuple[Server, ...]]:
    """Start ``servers`` side by side (a start is mostly Python importing); stop them all after."""
    with ThreadPoolExecutor(max_workers=len(servers)) as pool:
        starts = [pool.submit(server.start) for server in servers]
    try:
        for start in starts:
            start.result()  # the first start that failed fails the test
        yield servers
    finally:
        for server, start in zip(servers, starts, strict=True):
            if start.exception() is None:
                server.stop()


_T = TypeVar("_T")


def run_async(coroutine: Coroutine[object, object, _T]) -> _T:
    """``asyncio.run`` on a thread of its own.

    A test worker may already have an event loop running on its main thread
    (the browser tests' Playwright does), where ``asyncio.run`` refuses to start.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@contextmanager
def list_locked(db: Database, account_id: int) -> Iterator[None]:
    """Another writer holds the account's list, as an import writing its numbers does."""
    url = db.engine.url
    if db.is_sqlite:
        other = sqlite3.connect(str(url.database), isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            other.execute("ROLLBACK")
            other.close()
        return
    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo) as other:
        other.execute("SELECT 1 FROM accounts WHERE id = %s FOR NO KEY UPDATE", (account_id,))
        yield
        other.rollback()


@contextmanager
def list_held(db: Database, account_id: int) -> Iterator[threading.Event]:
    """``list_locked`` by another thread until the event handed out is set (or the block ends)."""
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        with list_locked(db, account_id):
            locked.set()
            release.wait(60)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        if not locked.wait(30):
            raise RuntimeError("the list could not be locked")
        yield release
    finally:
        release.set()
        holder.join()
