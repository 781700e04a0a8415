"""Suppression at scale, measured side by side with what a team would reach for.

Run from the repository root with ``.venv/bin/python -m bench`` (or
``.venv/bin/python bench/run.py``). It installs wrk and sqlite3 when missing,
builds its data under ``bench/.data/``, starts its own servers on free
loopback ports, prints one table and writes it to ``docs/benchmarks.md``.
Every row compares two things measured in the same run, alternating them,
each the median of ``--repeat`` repetitions (at least 5).
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import random
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import orjson  # noqa: E402
import psycopg  # noqa: E402
import redis  # noqa: E402
from sqlalchemy import select  # noqa: E402

from bench import scale  # noqa: E402
from stoplist.domain.accounts import Accounts  # noqa: E402
from stoplist.domain.canonical import is_canonical  # noqa: E402
from stoplist.domain.imports import import_numbers  # noqa: E402
from stoplist.domain.stop_index import MAX_INDEXED_STOPS  # noqa: E402
from stoplist.domain.stops import StopList  # noqa: E402
from stoplist.storage.database import Database  # noqa: E402
from stoplist.storage.schema import accounts as accounts_table  # noqa: E402
from stoplist.storage.schema import stops as stops_table  # noqa: E402

DATA = ROOT / "bench" / ".data"
REPORT = ROOT / "docs" / "benchmarks.md"
PYTHON = sys.executable
POSTGRES_ADMIN = os.environ.get(
    "STOPLIST_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)
POSTGRES_BENCH_DATABASE = os.environ.get("STOPLIST_BENCH_DATABASE", "stoplist_bench_lists")
"""The PostgreSQL database of the bench lists (named apart when several checkouts bench)."""
REDIS_URL = os.environ.get("STOPLIST_BENCH_REDIS", "redis://127.0.0.1:6379/0")
REDIS_KEY = "stoplist-bench:stops"
NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin") or "nginx"
LARGE = 1_000_000
SMALL = 100_000
FILTER = 100_000
CONNECTIONS = 32
ROWS = ["list", "filter", "check", "add", "import"]


@dataclass
class Row:
    name: str
    ours: str
    reference: str
    ratio: str
    target: str
    verdict: str


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5, help="repetitions per measurement")
    parser.add_argument("--seconds", type=int, default=5, help="length of each wrk run")
    parser.add_argument("--no-write", action="store_true", help="do not rewrite the report")
    parser.add_argument(
        "--backend",
        choices=["sqlite", "postgresql", "both"],
        default="sqlite",
        help="the database behind rows 1 to 3 (list, filter, check); postgresql runs only "
        "those; both runs filter and check on SQLite and PostgreSQL side by side",
    )
    parser.add_argument(
        "--against",
        type=Path,
        help="with --backend both: also run servers from this checkout (before/after)",
    )
    parser.add_argument(
        "--only",
        choices=ROWS,
        action="append",
        help="run only these rows (repeatable); implies --no-write",
    )
    parser.add_argument(
        "--stops",
        type=int,
        default=None,
        help="instead of the table: one line for a list of this many stops (e.g. 10000000), "
        "built in bulk SQL, listed, exported and filtered once each on --backend",
    )
    args = parser.parse_args()
    repeat = max(5, args.repeat)
    _ensure_tools()
    DATA.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    if args.stops:
        table = _table(_show(_bench_scale(args.backend, args.stops)))
        print(f"\n{table}\n\n(total {time.monotonic() - started:.0f} s)")
        if not args.no_write:
            _write_report(table, 1, args.seconds, args.backend, f"scale-{args.backend}")
            print(f"written to {REPORT.relative_to(ROOT)}")
        return
    every = ["list", "filter", "check"] if args.backend == "postgresql" else ROWS
    if args.backend == "both":
        every = ["filter", "check"]
    wanted = set(args.only or every)
    rows: list[Row] = []
    if args.backend == "both":
        from bench.backends import bench_backends

        rows += _show(bench_backends(wanted, repeat, args.seconds, args.against))
    elif wanted & {"list", "filter", "check"}:
        with bench_data(args.backend) as data:
            if "list" in wanted:
                rows += _show(_bench_list(data, repeat))
            if "filter" in wanted:
                rows += _show(_bench_filter(data, repeat))
            if "check" in wanted:
                rows += _show(_bench_check(data, repeat, args.seconds))
    if "add" in wanted and args.backend != "both":
        rows += _show(_bench_add(repeat, args.seconds))
    if "import" in wanted and args.backend != "both":
        rows += _show(_bench_import(repeat))
    table = _table(rows)
    print()
    print(table)
    print(f"\n(total {time.monotonic() - started:.0f} s)")
    if not args.no_write and not args.only:
        _write_report(table, repeat, args.seconds, args.backend)
        print(f"written to {REPORT.relative_to(ROOT)}")


def _show(rows: list[Row]) -> list[Row]:
    for row in rows:
        print(f"   {row.name}: {row.ours} vs {row.reference} -> {row.ratio} ({row.verdict})")
    return rows


# ---------------------------------------------------------------- tools & data


def _ensure_tools() -> None:
    missing = [tool for tool in ("wrk", "sqlite3") if shutil.which(tool) is None]
    if not Path(NGINX).exists() and shutil.which(NGINX) is None:
        missing.append("nginx")
    if missing:
        print(f"installing {' '.join(missing)} ...", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True, env=env)


@dataclass
class BenchData:
    db_url: str
    server: Server
    small_key: str
    large_key: str
    stopped: list[str]
    free: list[str]


def _numbers(rng: random.Random, count: int) -> list[str]:
    """``count`` distinct valid French mobile numbers in E.164."""
    candidates = (f"+336{n:08d}" for n in rng.sample(range(10**8), count * 2))
    valid = [number for number in candidates if is_canonical(number)]
    if len(valid) < count:
        raise RuntimeError("not enough valid numbers drawn")
    return valid[:count]


def bench_numbers() -> tuple[random.Random, list[str], list[str]]:
    """The numbers every list is made of (``LARGE``) and others (``FILTER``), the same each run."""
    rng = random.Random(20261127)
    numbers = _numbers(rng, LARGE + FILTER)
    return rng, numbers[:LARGE], numbers[LARGE:]


@contextmanager
def bench_data(backend: str) -> Iterator[BenchData]:
    rng, large, outside = bench_numbers()
    keys_path = DATA / f"lists-{backend}.keys"
    if backend == "sqlite":
        db_path = DATA / "lists.db"
        db_url = f"sqlite:///{db_path}"
        exists = db_path.exists()
        env = {}
    else:
        db_url = f"{POSTGRES_ADMIN.rsplit('/', 1)[0]}/{POSTGRES_BENCH_DATABASE}"
        exists = _postgres_database_exists(POSTGRES_BENCH_DATABASE)
        env = {"STOPLIST_LIST_CACHE_DIR": str(DATA / "lists-postgresql-cache")}
    if not (exists and keys_path.exists()):
        _build_lists(backend, db_url, large, keys_path)
    small_key, large_key = keys_path.read_text().split()
    half = FILTER // 2
    stopped = rng.sample(large, half)
    free = outside[:half]
    with Server.stoplist(db_url, env=env) as server:
        yield BenchData(db_url, server, small_key, large_key, stopped, free)


def _build_lists(backend: str, db_url: str, large: list[str], keys_path: Path) -> None:
    print(f"building the {backend} lists: {SMALL:,} and {LARGE:,} stops ...", flush=True)
    if backend == "sqlite":
        for stale in DATA.glob("lists.db*"):
            if stale.is_file():
                stale.unlink()
    else:
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{POSTGRES_BENCH_DATABASE}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{POSTGRES_BENCH_DATABASE}"')
        shutil.rmtree(DATA / "lists-postgresql-cache", ignore_errors=True)
    db = Database(db_url)
    db.migrate()
    accounts = Accounts(db)
    small = accounts.create("bench-100k")
    big = accounts.create("bench-1m")
    import_numbers(StopList(db, small.account), large[:SMALL])
    import_numbers(StopList(db, big.account), large)
    db.dispose()
    keys_path.write_text(f"{small.api_key}\n{big.api_key}\n")


def _postgres_database_exists(name: str) -> bool:
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    return row is not None


def _stopped_numbers(db_url: str, candidates: list[str]) -> set[str]:
    """Those of ``candidates`` on any list of the bench database."""
    db = Database(db_url)
    try:
        with db.read() as conn:
            rows = conn.execute(
                select(stops_table.c.phone_number).where(stops_table.c.phone_number.in_(candidates))
            )
            return {row[0] for row in rows}
    finally:
        db.dispose()


# ---------------------------------------------------------------- servers


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(
        self, command: list[str], env: dict[str, str] | None = None, port: int | None = None
    ) -> None:
        self.port = port or _free_port()
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed by stop)
        self.process = subprocess.Popen(
            [part.replace("{port}", str(self.port)) for part in command],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            cwd=ROOT,
        )
        self.base_url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.log.seek(0)
                raise RuntimeError(f"server exited: {self.log.read().decode()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"server on {self.port} did not start")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def memory_kib(self, field: str = "VmHWM") -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
        return 0

    @classmethod
    @contextmanager
    def stoplist(
        cls, url: str, workers: int = 1, env: dict[str, str] | None = None
    ) -> Iterator[Server]:
        server = cls(
            [PYTHON, "-m", "stoplist", "serve", "--port", "{port}", "--database", url,
             "--workers", str(workers), "--log-level", "warning"],
            env,
        )  # fmt: skip
        try:
            yield server
        finally:
            server.stop()

    @classmethod
    @contextmanager
    def bare(cls, static_file: Path | None = None) -> Iterator[Server]:
        env = {"BENCH_STATIC_FILE": str(static_file)} if static_file else {}
        server = cls(
            [PYTHON, "-m", "uvicorn", "bench.bare_app:app", "--port", "{port}",
             "--no-access-log", "--log-level", "warning", "--no-server-header"],
            env,
        )  # fmt: skip
        try:
            yield server
        finally:
            server.stop()

    @classmethod
    @contextmanager
    def nginx(cls, static_file: Path) -> Iterator[Server]:
        """nginx serving ``static_file`` at ``/static``, as a team would serve an export."""
        port = _free_port()
        with tempfile.TemporaryDirectory() as prefix:
            (Path(prefix) / "logs").mkdir()
            config = Path(prefix) / "nginx.conf"
            config.write_text(
                f"daemon off; master_process off; user root; worker_processes 1;\n"
                f"pid {prefix}/nginx.pid; error_log {prefix}/logs/error.log warn;\n"
                "events { worker_connections 64; }\n"
                f"http {{ access_log off; sendfile on; tcp_nopush on;\n"
                f"  client_body_temp_path {prefix}/body; proxy_temp_path {prefix}/proxy;\n"
                f"  fastcgi_temp_path {prefix}/fastcgi; uwsgi_temp_path {prefix}/uwsgi;\n"
                f"  scgi_temp_path {prefix}/scgi;\n"
                f"  server {{ listen 127.0.0.1:{port};\n"
                "    location = /static {\n"
                f"      default_type application/json; alias {static_file}; }}\n"
                "  } }\n"
            )
            server = cls([NGINX, "-p", prefix, "-c", str(config)], port=port)
            try:
                yield server
            finally:
                server.stop()


# ---------------------------------------------------------------- measuring


def _median(samples: list[float]) -> float:
    return statistics.median(samples)


def alternate(repeat: int, *sides: Callable[[], float]) -> tuple[float, ...]:
    """Run the sides in turn ``repeat`` times, so load drifts hit them all alike."""
    samples: list[list[float]] = [[] for _ in sides]
    for _ in range(repeat):
        for side, taken in zip(sides, samples, strict=True):
            taken.append(side())
    return tuple(_median(taken) for taken in samples)


def _download(url: str, params: dict[str, str] | None = None) -> float:
    """Seconds to receive the whole body (curl, discarding it)."""
    query = "?" + "&".join(f"{k}={v}" for k, v in (params or {}).items()) if params else ""
    result = subprocess.run(
        ["curl", "-s", "-o", "/dev/null", "-w", "%{time_total} %{http_code}", url + query],
        capture_output=True,
        text=True,
        check=True,
    )
    seconds, status = result.stdout.split()
    if status != "200":
        raise RuntimeError(f"{url}: HTTP {status}")
    return float(seconds)


def wrk(url: str, seconds: int, script: Path | None = None) -> float:
    """Requests per second from wrk at ``CONNECTIONS`` connections."""
    command = ["wrk", "-t", "1", "-c", str(CONNECTIONS), "-d", f"{seconds}s", "--latency"]
    if script:
        command += ["-s", str(script)]
    result = subprocess.run([*command, url], capture_output=True, text=True, check=True)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", result.stdout)
    if errors:
        raise RuntimeError(f"wrk saw {errors.group(1)} error answers:\n{result.stdout}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", result.stdout)
    if not match:
        raise RuntimeError(result.stdout + result.stderr)
    return float(match.group(1))


# ---------------------------------------------------------------- 1. list


def _bench_list(data: BenchData, repeat: int) -> list[Row]:
    print("1. full list ...", flush=True)
    path = "/v1/stop-sms/list"
    db_url = data.db_url
    static_file = DATA / "list-1m.json"
    # A second worker on the same file with no kept copies: every answer is
    # rendered from the database, as the first one after a change is.
    with Server.stoplist(db_url, env={"STOPLIST_LIST_CACHE_DIR": "off"}) as streaming:
        url = f"{streaming.base_url}{path}"
        _download(url, {"apiKey": data.small_key})  # warm up
        rss_start = streaming.memory_kib()
        _download(url, {"apiKey": data.small_key})
        rss_small = streaming.memory_kib()
        with (
            httpx.stream("GET", url, params={"apiKey": data.large_key}, timeout=600) as answer,
            static_file.open("wb") as out,
        ):
            for chunk in answer.iter_raw():
                out.write(chunk)
        rss_large = streaming.memory_kib()
        kept_url = f"{data.server.base_url}{path}"
        _download(kept_url, {"apiKey": data.large_key})  # renders once and keeps a copy
        new_stops = _StopsAdded(data)
        with Server.nginx(static_file) as nginx:
            _download(f"{nginx.base_url}/static")
            kept, patched, rendered, static = alternate(
                repeat,
                lambda: _download(kept_url, {"apiKey": data.large_key}),
                lambda: new_stops.add_one() + _download(kept_url, {"apiKey": data.large_key}),
                lambda: _download(url, {"apiKey": data.large_key}),
                lambda: _download(f"{nginx.base_url}/static"),
            )
            after_import = _first_listing_after_import(data)
        new_stops.remove_all()
        rss_large = max(rss_large, streaming.memory_kib())
    size_mb = static_file.stat().st_size / 1e6
    growth = (rss_large - rss_small) / 1024
    return [
        Row(
            f"first full `list` right after an API import of {LARGE:,} numbers "
            "(the import answers once the copy is kept; one sample)",
            f"{after_import:.2f} s",
            f"nginx, same bytes: {static:.2f} s",
            f"{after_import / static:.1f}×",
            "≤ 10×",
            verdict(after_import / static <= 10),
        ),
        Row(
            f"full `list` of {LARGE:,} stops, JSON ({size_mb:.0f} MB), list unchanged "
            "since the last full listing (kept copy)",
            f"{kept:.2f} s",
            f"nginx, same bytes: {static:.2f} s",
            f"{kept / static:.2f}×",
            "≤ 3×",
            verdict(kept / static <= 3),
        ),
        Row(
            "the same, first listing after a new STOP (kept copy patched)",
            f"{patched:.2f} s",
            f"nginx, same bytes: {static:.2f} s",
            f"{patched / static:.2f}×",
            "≤ 3×",
            verdict(patched / static <= 3),
        ),
        Row(
            "the same with no copy to start from (rendered from the database)",
            f"{rendered:.2f} s",
            f"nginx, same bytes: {static:.2f} s",
            f"{rendered / static:.2f}×",
            "≤ 10×",
            verdict(rendered / static <= 10),
        ),
        Row(
            f"server peak RSS rendering {SMALL:,} → {LARGE:,} stops",
            f"{rss_small / 1024:.0f} → {rss_large / 1024:.0f} MB",
            f"(after start-up {rss_start / 1024:.0f} MB)",
            f"+{growth:.1f} MB",
            "< +30 MB",
            verdict(growth < 30),
        ),
    ]


def _first_listing_after_import(data: BenchData) -> float:
    """Seconds of the first whole listing, asked the moment an API import has answered.

    A new account gets the large list through ``POST /v1/stop-sms/import``
    on the server that keeps copies; the listing starts as soon as the
    import's answer is in (the import keeps the list's copy before it
    answers). The account and its copy are removed afterwards.
    """
    numbers = _numbers(random.Random(20261127), LARGE)
    db = Database(data.db_url)
    created = Accounts(db).create(f"bench-after-import-{uuid.uuid4().hex[:8]}")
    body = ("\n".join(numbers) + "\n").encode()
    base = data.server.base_url
    try:
        with httpx.Client(timeout=600) as http:
            answer = http.post(
                f"{base}/v1/stop-sms/import", params={"apiKey": created.api_key}, content=body
            )
        if answer.json().get("added") != LARGE:
            raise RuntimeError(answer.text[:500])
        return _download(f"{base}/v1/stop-sms/list", {"apiKey": created.api_key})
    finally:
        account_id = created.account.id
        with db.write() as conn:
            for table in ("stops", "events"):
                conn.exec_driver_sql(f"DELETE FROM {table} WHERE account_id = {account_id}")
            conn.execute(accounts_table.delete().where(accounts_table.c.id == account_id))
        db.dispose()
        for kept in DATA.glob(f"lists*/list-{account_id}-*"):
            kept.unlink(missing_ok=True)


class _StopsAdded:
    """New numbers put on the large list one at a time through the API, and taken off after."""

    def __init__(self, data: BenchData) -> None:
        self.base_url = data.server.base_url
        self.key = data.large_key
        drawn = _numbers(random.Random(31), 200)
        taken = set(data.stopped) | set(data.free) | _stopped_numbers(data.db_url, drawn)
        self.candidates = [number for number in drawn if number not in taken]
        self.added: list[int] = []

    def add_one(self) -> float:
        """Add the next number (not timed: returns 0.0 to sit in a timed expression)."""
        number = self.candidates.pop()
        answer = httpx.post(
            f"{self.base_url}/v1/stop-sms/add", json={"apiKey": self.key, "phoneNumber": number}
        ).json()
        self.added.append(answer["stopId"])
        return 0.0

    def remove_all(self) -> None:
        url = f"{self.base_url}/v1/stop-sms/delete"
        for stop_id in self.added:
            httpx.post(url, json={"apiKey": self.key, "id": stop_id})


# ---------------------------------------------------------------- 2. filter


def _bench_filter(data: BenchData, repeat: int) -> list[Row]:
    print("2. filter vs Redis SMISMEMBER ...", flush=True)
    numbers = data.stopped + data.free
    random.Random(5).shuffle(numbers)
    client = redis.Redis.from_url(REDIS_URL)
    _load_redis(client, data)
    expected = len(data.stopped)

    def ours() -> float:
        return filter_seconds(data.server, data)

    def theirs() -> float:
        start = time.perf_counter()
        pipe = client.pipeline(transaction=False)
        for offset in range(0, len(numbers), 1000):
            pipe.smismember(REDIS_KEY, numbers[offset : offset + 1000])
        replies = pipe.execute()
        elapsed = time.perf_counter() - start
        found = sum(sum(reply) for reply in replies)
        if found != expected:
            raise RuntimeError(f"Redis disagrees: {found}")
        return elapsed

    try:
        ours(), theirs()
        mine, redis_time = alternate(repeat, ours, theirs)
    finally:
        client.delete(REDIS_KEY)
        client.close()
    return [
        Row(
            f"`filter` {FILTER:,} E.164 numbers against {LARGE:,} stops",
            f"{mine * 1000:.0f} ms",
            f"Redis SMISMEMBER, pipelined: {redis_time * 1000:.0f} ms",
            f"{mine / redis_time:.2f}×",
            "≤ 1.0×",
            verdict(mine / redis_time <= 1.0),
        )
    ]


def filter_seconds(server: Server, data: BenchData) -> float:
    """One filter of the row's 100,000 numbers, request encoding and answer parsing included."""
    numbers = data.stopped + data.free
    random.Random(5).shuffle(numbers)
    body = orjson.dumps({"apiKey": data.large_key, "phoneNumbers": numbers})
    with httpx.Client(timeout=600) as http:
        start = time.perf_counter()
        answer = http.post(f"{server.base_url}/v1/stop-sms/filter", content=body)
        parsed = orjson.loads(answer.content)
        elapsed = time.perf_counter() - start
    if parsed["counts"]["stopped"] != len(data.stopped):
        raise RuntimeError(f"filter disagrees: {parsed['counts']}")
    return elapsed


def _load_redis(client: redis.Redis, data: BenchData) -> None:
    client.delete(REDIS_KEY)
    db = Database(data.db_url)
    try:
        with db.read() as conn:
            account = conn.execute(
                select(accounts_table.c.id).where(accounts_table.c.name == "bench-1m")
            ).scalar_one()
            numbers = conn.execute(
                select(stops_table.c.phone_number).where(stops_table.c.account_id == account)
            ).scalars()
            pipe = client.pipeline(transaction=False)
            while batch := numbers.fetchmany(10_000):
                pipe.sadd(REDIS_KEY, *batch)
            pipe.execute()
    finally:
        db.dispose()


def _bench_check(data: BenchData, repeat: int, seconds: int) -> list[Row]:
    print("3. check requests/s vs a constant endpoint ...", flush=True)
    script = check_script(data)
    url = check_url(data.server, data)
    with Server.bare() as bare:
        constant_url = f"{bare.base_url}/constant?apiKey={data.large_key}&phoneNumber="
        wrk(url, 1, script)
        wrk(constant_url, 1, script)
        ours, constant = alternate(
            repeat,
            lambda: wrk(url, seconds, script),
            lambda: wrk(constant_url, seconds, script),
        )
    return [
        Row(
            f"`check` at {CONNECTIONS} connections",
            f"{ours:,.0f} req/s",
            f"constant endpoint: {constant:,.0f} req/s",
            f"{ours / constant:.0%}",
            "≥ 50%",
            verdict(ours / constant >= 0.5),
        )
    ]


def check_script(data: BenchData) -> Path:
    """The wrk script of the check row: each connection walks through 1,000 numbers.

    Half of them are on the list, so the lookups are not one row read over
    and over. Requests are formatted once, up front: wrk must not be the
    bottleneck. Every side of a check row gets the same script.
    """
    numbers = data.stopped[:500] + data.free[:500]
    random.Random(3).shuffle(numbers)
    script = DATA / "check.lua"
    quoted = ", ".join(f'"{number.replace("+", "%2B")}"' for number in numbers)
    script.write_text(
        f"local numbers = {{{quoted}}}\n"
        "local requests = {}\n"
        "local i = 0\n"
        "init = function(args)\n"
        "  for n = 1, #numbers do\n"
        '    requests[n] = wrk.format("GET", wrk.path .. numbers[n])\n'
        "  end\n"
        "end\n"
        "request = function()\n"
        "  i = i % #requests + 1\n"
        "  return requests[i]\n"
        "end\n"
    )
    return script


def check_url(server: Server, data: BenchData) -> str:
    return f"{server.base_url}/v1/stop-sms/check?apiKey={data.large_key}&phoneNumber="


# ---------------------------------------------------------------- 4. add

_ADD_SCRIPT = """
counter = 0
prefix = os.getenv("BENCH_PREFIX")
request = function()
  counter = counter + 1
  local body = string.format('{"apiKey":"%s","phoneNumber":"+336%s%05d"}',
                             os.getenv("BENCH_KEY"), prefix, counter)
  return wrk.format("POST", "/v1/stop-sms/add", {["Content-Type"] = "application/json"}, body)
end
"""


def _bench_add(repeat: int, seconds: int) -> list[Row]:
    print("4. durable add on SQLite and PostgreSQL ...", flush=True)
    script = DATA / "add.lua"
    script.write_text(_ADD_SCRIPT)
    results: dict[str, float] = {}
    sqlite_path = DATA / "add.db"
    for stale in DATA.glob("add.db*"):
        stale.unlink()
    with _postgres_database() as pg_url:
        urls = {"SQLite": f"sqlite:///{sqlite_path}", "PostgreSQL": pg_url}
        keys: dict[str, str] = {}
        for name, url in urls.items():
            db = Database(url)
            db.migrate()
            keys[name] = Accounts(db).create("bench-add").api_key
            db.dispose()
        with Server.stoplist(urls["SQLite"]) as lite, Server.stoplist(urls["PostgreSQL"]) as pg:
            prefixes = iter(range(100, 1000))

            def run(server: Server, key: str) -> float:
                os.environ["BENCH_KEY"] = key
                os.environ["BENCH_PREFIX"] = f"{next(prefixes):03d}"
                return wrk(server.base_url, seconds, script)

            run(lite, keys["SQLite"])
            run(pg, keys["PostgreSQL"])
            results["SQLite"], results["PostgreSQL"] = alternate(
                repeat, lambda: run(lite, keys["SQLite"]), lambda: run(pg, keys["PostgreSQL"])
            )
    for stale in DATA.glob("add.db*"):
        stale.unlink()
    return [
        Row(
            f"durable `add` at {CONNECTIONS} connections",
            f"SQLite: {results['SQLite']:,.0f} req/s",
            f"PostgreSQL: {results['PostgreSQL']:,.0f} req/s",
            f"{results['PostgreSQL'] / results['SQLite']:.2f}× (PG/SQLite)",
            "measured",
            "—",
        )
    ]


@contextmanager
def _postgres_database() -> Iterator[str]:
    name = f"stoplist_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{POSTGRES_ADMIN.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ---------------------------------------------------------------- 5. import


def _bench_import(repeat: int) -> list[Row]:
    print("5. import a 1,000,000-line CSV vs sqlite3 .import ...", flush=True)
    csv_path = DATA / "import-1m.csv"
    if not csv_path.exists():
        numbers = _numbers(random.Random(99), LARGE)
        csv_path.write_text("phoneNumber\n" + "\n".join(numbers) + "\n")
    template = DATA / "empty.db"
    _remove(DATA.glob("empty.db*"))
    db = Database(f"sqlite:///{template}")
    db.migrate()
    Accounts(db).create("bench-import")
    db.dispose()
    target = DATA / "import.db"

    def fresh(copy_template: bool) -> None:
        _remove(DATA.glob("import.db*"))
        if copy_template:
            shutil.copy(template, target)
            shutil.copy(f"{template}-secrets.key", f"{target}-secrets.key")

    peaks: list[int] = []

    def ours() -> float:
        fresh(True)
        start = time.perf_counter()
        output, peak = _run_measured(
            [PYTHON, "-m", "stoplist", "import", str(csv_path), "--account", "bench-import",
             "--database", f"sqlite:///{target}", "--json"]
        )  # fmt: skip
        elapsed = time.perf_counter() - start
        peaks.append(peak)
        if orjson.loads(output)["added"] != LARGE:
            raise RuntimeError(output[:500])
        return elapsed

    def theirs() -> float:
        fresh(False)
        start = time.perf_counter()
        subprocess.run(
            ["sqlite3", str(target), "CREATE TABLE t(phoneNumber TEXT PRIMARY KEY);",
             ".mode csv", f".import --skip 1 {csv_path} t"],
            check=True, capture_output=True,
        )  # fmt: skip
        elapsed = time.perf_counter() - start
        count = sqlite3.connect(target).execute("SELECT count(*) FROM t").fetchone()[0]
        if count != LARGE:
            raise RuntimeError(f"sqlite3 imported {count}")
        return elapsed

    try:
        mine, bare = alternate(repeat, ours, theirs)
    finally:
        _remove(itertools.chain(DATA.glob("import.db*"), DATA.glob("empty.db*")))
    idle = _idle_cli_kib()
    growth = (max(peaks) - idle) / 1024
    return [
        Row(
            f"import a {LARGE:,}-line CSV (SQLite, `stoplist import`)",
            f"{mine:.1f} s",
            f"sqlite3 .import into a keyed table: {bare:.1f} s",
            f"{mine / bare:.2f}×",
            "≤ 1.4×",
            verdict(mine / bare <= 1.4),
        ),
        Row(
            "`stoplist import` peak RSS, over an idle command",
            f"{max(peaks) / 1024:.0f} MB",
            f"`stoplist accounts list`: {idle / 1024:.0f} MB",
            f"+{growth:.0f} MB",
            "≤ +64 MB",
            verdict(growth <= 64),
        ),
        *_bench_import_api(csv_path),
    ]


# ---------------------------------------------------------------- 6. scale


def _bench_scale(backend: str, count: int) -> list[Row]:
    print(f"6. {count:,} stops: list, export and filter, once each ...", flush=True)
    with scale.scale_database(backend, count, DATA, POSTGRES_ADMIN) as db_url:
        key = (DATA / f"scale-{backend}-{count}.key").read_text().strip()
        account = f"bench-{count}"
        copies = DATA / f"scale-{backend}-{count}-lists"
        shutil.rmtree(copies, ignore_errors=True)
        params = {"apiKey": key}
        results: dict[str, tuple[float, float]] = {}

        def measure(name: str, env: dict[str, str], work: Callable[[Server], float]) -> None:
            with Server.stoplist(db_url, env=env) as server:
                _download(f"{server.base_url}/v1/stop-sms/list", {"apiKey": key, "limit": "1"})
                idle = server.memory_kib()
                seconds = work(server)
                results[name] = (seconds, (server.memory_kib() - idle) / 1024)
            print(f"   {name}: {seconds:.2f} s, peak RSS +{results[name][1]:.1f} MB", flush=True)

        off = {"STOPLIST_LIST_CACHE_DIR": "off"}
        keep = {"STOPLIST_LIST_CACHE_DIR": str(copies)}

        def listed(server: Server) -> float:
            return scale.timed_stream(f"{server.base_url}/v1/stop-sms/list", params, b"]}")

        def kept_and_patched(server: Server) -> float:
            listed(server)  # rendered, and a copy kept on the way
            kept = listed(server)
            answer = httpx.post(
                f"{server.base_url}/v1/stop-sms/add",
                json={"apiKey": key, "phoneNumber": scale.NOT_LISTED},
                timeout=600,
            ).json()
            if "stopId" not in answer:
                raise RuntimeError(f"add failed: {answer}")
            added = answer["stopId"]
            results["patched"] = (listed(server), 0.0)
            httpx.post(f"{server.base_url}/v1/stop-sms/delete", json={"apiKey": key, "id": added})
            return kept

        def exported(server: Server) -> float:
            return scale.timed_stream(
                f"{server.base_url}/v1/stop-sms/export", {**params, "format": "csv"}, b"import"
            )

        def filtered(server: Server) -> float:
            return scale.timed_filter(f"{server.base_url}/v1/stop-sms/filter", key, count)

        measure("export CSV (API)", off, exported)
        measure("filter 100,000", off, filtered)
        measure("list, kept copy", keep, kept_and_patched)
        measure("list, rendered", off, listed)
        cli_seconds, cli_kib = scale.cli_export(PYTHON, db_url, account, ROOT)
        shutil.rmtree(copies, ignore_errors=True)
    growth = {name: value[1] for name, value in results.items() if name != "patched"}
    bounded = max(growth.values()) < 64  # rendered, kept and patched, exported, filtered
    return [
        Row(
            f"{count:,} stops in one account ({backend})",
            f"whole `list` {results['list, rendered'][0]:.1f} s rendered, "
            f"{results['list, kept copy'][0]:.1f} s kept, {results['patched'][0]:.1f} s patched; "
            f"`export` CSV {results['export CSV (API)'][0]:.1f} s "
            f"(CLI {cli_seconds:.1f} s); `filter` of 100,000 "
            f"{results['filter 100,000'][0]:.2f} s (index built first, or past "
            f"{MAX_INDEXED_STOPS:,} stops looked up in the database)",
            "server peak RSS over idle: "
            + ", ".join(f"{name} +{value:.0f} MB" for name, value in growth.items())
            + f"; CLI export {cli_kib / 1024:.0f} MB in all",
            "—",
            "each < +64 MB",
            verdict(bounded),
        )
    ]


def _run_measured(command: list[str]) -> tuple[str, int]:
    """A command's standard output and its peak RSS (KiB), from the kernel's own count."""
    with tempfile.TemporaryFile() as out:
        process = subprocess.Popen(command, stdout=out, stderr=out, cwd=ROOT)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        output = out.read().decode()
    if process.returncode != 0:
        raise RuntimeError(f"{command[3]} failed: {output[:500]}")
    return output, usage.ru_maxrss


def _idle_cli_kib() -> int:
    url = f"sqlite:///{DATA / 'idle.db'}"
    _, peak = _run_measured([PYTHON, "-m", "stoplist", "accounts", "list", "--database", url])
    for stale in DATA.glob("idle.db*"):
        stale.unlink()
    return peak


def _bench_import_api(csv_path: Path) -> list[Row]:
    """The same file through ``POST /import`` on both databases: the server's peak RSS."""
    print("   the same file through the API, SQLite and PostgreSQL ...", flush=True)
    rows = []
    _remove(DATA.glob("import-api.db*"))
    with _postgres_database() as pg_url:
        urls = {"SQLite": f"sqlite:///{DATA / 'import-api.db'}", "PostgreSQL": pg_url}
        for name, url in urls.items():
            db = Database(url)
            db.migrate()
            keys = [Accounts(db).create(f"bench-import-{n}").api_key for n in ("warm", "big")]
            db.dispose()
            with Server.stoplist(url) as server:
                warm = "phoneNumber\n" + "\n".join(_numbers(random.Random(7), 1000)) + "\n"
                httpx.post(f"{server.base_url}/v1/stop-sms/import", params={"apiKey": keys[0]},
                           content=warm, timeout=600).raise_for_status()  # fmt: skip
                idle = server.memory_kib()
                start = time.perf_counter()
                with csv_path.open("rb") as body:
                    answer = httpx.post(
                        f"{server.base_url}/v1/stop-sms/import",
                        params={"apiKey": keys[1]}, content=body, timeout=1200,
                    )  # fmt: skip
                elapsed = time.perf_counter() - start
                peak = server.memory_kib()
            if answer.json().get("added") != LARGE:
                raise RuntimeError(answer.text[:500])
            growth = (peak - idle) / 1024
            rows.append(
                Row(
                    f"`POST /import` of {LARGE:,} numbers on {name}: server peak RSS",
                    f"{peak / 1024:.0f} MB ({elapsed:.1f} s)",
                    f"after one small import: {idle / 1024:.0f} MB",
                    f"+{growth:.0f} MB",
                    "≤ +64 MB",
                    verdict(growth <= 64),
                )
            )
    _remove(DATA.glob("import-api.db*"))
    return rows


def _remove(paths: Iterator[Path]) -> None:
    """Files, and directories such as the kept copies beside a database."""
    for path in paths:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()


# ---------------------------------------------------------------- report


def verdict(ok: bool) -> str:
    return "met" if ok else "missed"


def _table(rows: list[Row]) -> str:
    header = ["measurement", "stoplist", "reference", "ratio", "target", ""]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        cells = [row.name, row.ours, row.reference, row.ratio, row.target, row.verdict]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory = int(line.split()[1]) // 1024 // 1024
    versions = [
        f"Python {platform.python_version()}",
        f"SQLite {sqlite3.sqlite_version}",
    ]
    try:
        with psycopg.connect(POSTGRES_ADMIN) as conn:
            row = conn.execute("SHOW server_version").fetchone()
            versions.append(f"PostgreSQL {row[0].split()[0] if row else '?'}")
    except psycopg.Error:
        pass
    try:
        info = redis.Redis.from_url(REDIS_URL).info("server")
        versions.append(f"Redis {info['redis_version']}")
    except redis.RedisError:
        pass
    return f"{os.cpu_count()} × {cpu}, {memory} GiB RAM, Linux {platform.release()}; " + ", ".join(
        versions
    )


def _write_report(
    table: str, repeat: int, seconds: int, backend: str, block: str | None = None
) -> None:
    text = REPORT.read_text() if REPORT.exists() else ""
    name = f"bench-{block}" if block else "bench" if backend == "sqlite" else f"bench-{backend}"
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    how = (
        "each operation once"  # --stops: no repetitions, no wrk
        if repeat == 1
        else f"median of {repeat} repetitions per side, wrk runs of {seconds} s"
    )
    block = (
        f"{start}\n"
        f"Machine: {_machine()}.\n"
        f"Run: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {how}, one server worker on "
        f"{'each of SQLite and PostgreSQL' if backend == 'both' else backend}.\n\n"
        f"{table}\n{end}"
    )
    if start in text and end in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end) :]
    elif text:
        text = text.rstrip() + "\n\n" + block + "\n"
    else:
        text = "# Benchmarks\n\n" + block + "\n"
    REPORT.write_text(text)


if __name__ == "__main__":
    main()
