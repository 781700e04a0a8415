"""Lists far past a million: built in bulk SQL, then listed, exported and filtered once.

``python -m bench --stops 10000000`` builds (once, kept under ``bench/.data``)
an account with that many stops, each with its import event, as
``stoplist import`` would leave them, but written by set-at-a-time SQL in
number order so that it takes a minute or two rather than an hour. Each
operation runs once on a server of its own, so that its peak RSS is its own.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import orjson
import psycopg

from stoplist.domain.accounts import Accounts
from stoplist.storage.database import Database

STEP = 9
"""Stop ``n`` is ``+336`` and ``n * STEP + 1`` on eight digits: distinct, valid, in order."""
NOT_LISTED = f"+336{5 * STEP + 3:08d}"
"""A valid mobile number between two of the list's (added and removed again)."""
FIRST_INSTANT = 1_700_000_000_000_000
SPACING_US = 1000  # a thousand stops a second, as a long run of imports gives


def number(n: int) -> str:
    return f"+336{n * STEP + 1:08d}"


def build(db_url: str, count: int) -> str:
    """A new account with ``count`` stops on ``db_url`` (created, migrated); its API key."""
    db = Database(db_url)
    db.migrate()
    created = Accounts(db).create(f"bench-{count}")
    account_id = created.account.id
    started = time.monotonic()
    with db.write() as conn:
        if db.is_sqlite:
            conn.exec_driver_sql("PRAGMA cache_size = -262144")
            series = (
                "WITH RECURSIVE c(n) AS "
                f"(SELECT 0 UNION ALL SELECT n + 1 FROM c WHERE n < {count - 1}) "
                f"SELECT {account_id}, '+336' || printf('%08d', n * {STEP} + 1), 'opt_out', "
                f"'import', {FIRST_INSTANT} + n * {SPACING_US}, "
                f"{FIRST_INSTANT} + n * {SPACING_US} FROM c"
            )
        else:
            series = (
                f"SELECT {account_id}, '+336' || lpad((n * {STEP} + 1)::text, 8, '0'), 'opt_out', "
                f"'import', {FIRST_INSTANT} + n * {SPACING_US}, {FIRST_INSTANT} + n * {SPACING_US} "
                f"FROM generate_series(0::bigint, {count - 1}) AS n"  # n * SPACING_US passes 2^31
            )
        conn.exec_driver_sql(
            "INSERT INTO events (account_id, phone_number, kind, source, event_at, received_at) "
            + series
        )
        conn.exec_driver_sql(
            "INSERT INTO stops (account_id, phone_number, created_at, source, event_id) "
            "SELECT account_id, phone_number, event_at, source, id FROM events "
            f"WHERE account_id = {account_id} ORDER BY id"
        )
        random_version = (
            "random() & 9223372036854775807" if db.is_sqlite else "(random() * 4e18)::bigint"
        )
        conn.exec_driver_sql(
            f"UPDATE accounts SET list_version = {random_version}, "
            f"list_event_id = (SELECT max(id) FROM events) WHERE id = {account_id}"
        )
    if not db.is_sqlite:
        with db.write() as conn:
            conn.exec_driver_sql("ANALYZE stops")
            conn.exec_driver_sql("ANALYZE events")
    db.dispose()
    print(f"   built {count:,} stops in {time.monotonic() - started:.0f} s", flush=True)
    return created.api_key


@contextmanager
def scale_database(backend: str, count: int, data: Path, postgres_admin: str) -> Iterator[str]:
    """The database of ``count`` stops for ``backend``, built if missing; yields its URL."""
    keys = data / f"scale-{backend}-{count}.key"
    if backend == "sqlite":
        path = data / f"scale-{count}.db"
        url = f"sqlite:///{path}"
        exists = path.exists()
    else:
        name = f"stoplist_bench_scale_{count}"
        url = f"{postgres_admin.rsplit('/', 1)[0]}/{name}"
        with psycopg.connect(postgres_admin, autocommit=True) as conn:
            exists = bool(
                conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            )
    if not (exists and keys.exists()):
        print(f"building {count:,} stops on {backend} (bulk SQL) ...", flush=True)
        if backend == "sqlite":
            for stale in data.glob(f"scale-{count}.db*"):
                if stale.is_file():
                    stale.unlink()
                else:
                    shutil.rmtree(stale)
        else:
            with psycopg.connect(postgres_admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{name}"')
        keys.write_text(build(url, count))
    yield url


def timed_stream(url: str, params: dict[str, str], expect_end: bytes) -> float:
    """Seconds to read a whole answer without keeping it, checking that it ended."""
    started = time.perf_counter()
    last = b""
    with httpx.stream("GET", url, params=params, timeout=3600) as answer:
        answer.raise_for_status()
        for chunk in answer.iter_raw():
            last = (last + chunk)[-16:]
    if not last.rstrip().endswith(expect_end):
        raise RuntimeError(f"{url}: the answer ended with {last!r}")
    return time.perf_counter() - started


def timed_filter(url: str, api_key: str, count: int, size: int = 100_000) -> float:
    """Seconds for one ``filter`` of ``size`` numbers, half of them on the list."""
    rng = random.Random(7)
    stopped = [number(n) for n in rng.sample(range(count), size // 2)]
    free = [f"+336{n * STEP + 2:08d}" for n in rng.sample(range(count), size // 2)]
    body = orjson.dumps({"apiKey": api_key, "phoneNumbers": stopped + free})
    with httpx.Client(timeout=3600) as http:
        http.post(url, content=orjson.dumps({"apiKey": api_key, "phoneNumbers": stopped[:10]}))
        started = time.perf_counter()
        answer = orjson.loads(http.post(url, content=body).content)
        seconds = time.perf_counter() - started
    if answer["counts"]["stopped"] != size // 2:
        raise RuntimeError(f"filter disagrees: {answer['counts']}")
    return seconds


def cli_export(python: str, db_url: str, account: str, cwd: Path) -> tuple[float, int]:
    """Seconds and peak RSS (KiB) of ``stoplist export`` to a file (GNU time measures it)."""
    with tempfile.TemporaryDirectory() as directory:
        out = Path(directory) / "export.csv"
        started = time.perf_counter()
        result = subprocess.run(
            ["/usr/bin/time", "-f", "%M", python, "-m", "stoplist", "export", "--account",
             account, "--database", db_url, "--output", str(out)],
            capture_output=True, text=True, check=True, cwd=cwd,
        )  # fmt: skip
        seconds = time.perf_counter() - started
        if not out.stat().st_size:
            raise RuntimeError("stoplist export wrote nothing")
    return seconds, int(result.stderr.strip().splitlines()[-1])
