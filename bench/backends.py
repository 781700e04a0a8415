"""``--backend both``: check and filter on SQLite and on PostgreSQL, side by side.

One server on each database, both with the same lists (the same numbers,
imported the same way), measured in turns in the same run: the ratio of
PostgreSQL to SQLite is the figure that matters, since the machine's load
moves both alike. With ``--against DIR`` a second pair of servers runs the
code of another checkout (``DIR/src``), which gives before/after ratios
measured in the same run too. Its schema may be older than this one's, so
it gets databases of its own, built by its own code from the same numbers.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import psycopg

from bench.run import (
    CONNECTIONS,
    DATA,
    FILTER,
    LARGE,
    POSTGRES_ADMIN,
    POSTGRES_BENCH_DATABASE,
    SMALL,
    BenchData,
    Row,
    Server,
    alternate,
    bench_data,
    bench_numbers,
    check_script,
    check_url,
    filter_seconds,
    verdict,
    wrk,
)

CHECK_GOAL = 0.8
"""``check`` on PostgreSQL: at least this share of the same-run SQLite figure."""
FILTER_GOAL = 1.2
"""``filter`` on PostgreSQL: at most this multiple of the same-run SQLite time."""


def bench_backends(wanted: set[str], repeat: int, seconds: int, against: Path | None) -> list[Row]:
    with ExitStack() as stack:
        lite = stack.enter_context(bench_data("sqlite"))
        pg = stack.enter_context(bench_data("postgresql"))
        before = None
        if against is not None:
            before = (
                stack.enter_context(_data_of(against, lite, "sqlite")),
                stack.enter_context(_data_of(against, pg, "postgresql")),
            )
        rows: list[Row] = []
        if "filter" in wanted:
            rows += _filter_rows(lite, pg, before, repeat, against)
        if "check" in wanted:
            rows += _check_rows(lite, pg, before, repeat, seconds, against)
        return rows


_BUILD = """
import sys
from stoplist.domain.accounts import Accounts
from stoplist.domain.imports import import_numbers
from stoplist.domain.stops import StopList
from stoplist.storage.database import Database

url, numbers_file, keys_file, small = sys.argv[1:]
numbers = open(numbers_file).read().split()
db = Database(url)
db.migrate()
accounts = Accounts(db)
made = [accounts.create("bench-100k"), accounts.create("bench-1m")]
import_numbers(StopList(db, made[0].account), numbers[: int(small)])
import_numbers(StopList(db, made[1].account), numbers)
db.dispose()
open(keys_file, "w").write(" ".join(item.api_key for item in made))
"""


@contextmanager
def _data_of(checkout: Path, data: BenchData, backend: str) -> Iterator[BenchData]:
    """The same lists as ``data``'s, in a database made by ``checkout``'s code, and its server."""
    src = str(checkout.resolve() / "src")
    keys = DATA / f"before-{backend}.keys"
    if backend == "sqlite":
        url = f"sqlite:///{DATA / 'before.db'}"
        for stale in DATA.glob("before.db*"):
            stale.unlink()
        env = {}
    else:
        name = f"{POSTGRES_BENCH_DATABASE}_before"
        url = f"{POSTGRES_ADMIN.rsplit('/', 1)[0]}/{name}"
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        env = {"STOPLIST_LIST_CACHE_DIR": "off"}
    print(f"building the {backend} lists with {checkout}'s code ...", flush=True)
    numbers = DATA / "before-numbers.txt"
    numbers.write_text("\n".join(bench_numbers()[1]))
    subprocess.run(
        [sys.executable, "-c", _BUILD, url, str(numbers), str(keys), str(SMALL)],
        env={**os.environ, "PYTHONPATH": src},
        check=True,
    )
    small_key, large_key = keys.read_text().split()
    with Server.stoplist(url, env={"PYTHONPATH": src, **env}) as server:
        yield BenchData(url, server, small_key, large_key, data.stopped, data.free)


def _filter_rows(
    lite: BenchData,
    pg: BenchData,
    before: tuple[BenchData, BenchData] | None,
    repeat: int,
    against: Path | None,
) -> list[Row]:
    print("2. filter on SQLite and PostgreSQL ...", flush=True)
    sides: list[Callable[[], float]] = [
        lambda: filter_seconds(lite.server, lite),
        lambda: filter_seconds(pg.server, pg),
    ]
    if before is not None:
        sides += [
            lambda: filter_seconds(before[0].server, before[0]),
            lambda: filter_seconds(before[1].server, before[1]),
        ]
    for side in sides:
        side()  # each server builds its index once, outside the measurement
    times = alternate(repeat, *sides)
    name = f"`filter` {FILTER:,} E.164 numbers against {LARGE:,} stops"
    rows = [
        Row(
            f"{name}, PostgreSQL vs SQLite",
            f"PostgreSQL: {times[1] * 1000:.0f} ms",
            f"SQLite: {times[0] * 1000:.0f} ms",
            f"{times[1] / times[0]:.2f}×",
            f"≤ {FILTER_GOAL}×",
            verdict(times[1] / times[0] <= FILTER_GOAL),
        )
    ]
    if before is not None:
        rows += _before_rows(name, times, against, lambda t: f"{t * 1000:.0f} ms", "{:.2f}×")
    return rows


def _check_rows(
    lite: BenchData,
    pg: BenchData,
    before: tuple[BenchData, BenchData] | None,
    repeat: int,
    seconds: int,
    against: Path | None,
) -> list[Row]:
    print("3. check requests/s on SQLite and PostgreSQL ...", flush=True)
    script = check_script(lite)  # the same numbers on both databases
    urls = [check_url(lite.server, lite), check_url(pg.server, pg)]
    if before is not None:
        urls += [check_url(before[0].server, before[0]), check_url(before[1].server, before[1])]
    for url in urls:
        wrk(url, 1, script)
    rates = alternate(repeat, *[_rate(url, seconds, script) for url in urls])
    rows = [
        Row(
            f"`check` at {CONNECTIONS} connections, PostgreSQL vs SQLite",
            f"PostgreSQL: {rates[1]:,.0f} req/s",
            f"SQLite: {rates[0]:,.0f} req/s",
            f"{rates[1] / rates[0]:.0%}",
            f"≥ {CHECK_GOAL:.0%}",
            verdict(rates[1] / rates[0] >= CHECK_GOAL),
        )
    ]
    if before is not None:
        name = f"`check` at {CONNECTIONS} connections"
        rows += _before_rows(name, rates, against, lambda r: f"{r:,.0f} req/s", "{:.0%}")
    return rows


def _before_rows(
    name: str,
    figures: tuple[float, ...],
    against: Path | None,
    shown: Callable[[float], str],
    ratio: str,
) -> list[Row]:
    """This checkout (``figures[0:2]``) against the other one (``figures[2:4]``), per database."""
    rows = []
    for label, now, then in (("SQLite", *figures[0::2]), ("PostgreSQL", *figures[1::2])):
        rows.append(
            Row(
                f"{name}, {label}, this checkout vs `{against}`",
                shown(now),
                f"before: {shown(then)}",
                ratio.format(now / then),
                "measured",
                "—",
            )
        )
    return rows


def _rate(url: str, seconds: int, script: Path) -> Callable[[], float]:
    return lambda: wrk(url, seconds, script)
