"""``--backend both``: check and filter on SQLite and on PostgreSQL, side by side.

One server on each database, both with the same lists (the same numbers,
imported the same way), measured in turns in the same run: the ratio of
PostgreSQL to SQLite is the figure that matters, since the machine's load
moves both alike. With ``--against DIR`` a second pair of servers runs the
code of another checkout (``DIR/src``) on the same databases, which gives
before/after ratios measured in the same run too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from bench.run import (
    CONNECTIONS,
    FILTER,
    LARGE,
    BenchData,
    Row,
    Server,
    alternate,
    bench_data,
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
                stack.enter_context(_server_of(against, lite)),
                stack.enter_context(_server_of(against, pg)),
            )
        rows: list[Row] = []
        if "filter" in wanted:
            rows += _filter_rows(lite, pg, before, repeat, against)
        if "check" in wanted:
            rows += _check_rows(lite, pg, before, repeat, seconds, against)
        return rows


@contextmanager
def _server_of(checkout: Path, data: BenchData) -> Iterator[Server]:
    env = {"PYTHONPATH": str(checkout.resolve() / "src")}
    if "postgresql" in data.db_url:
        env["STOPLIST_LIST_CACHE_DIR"] = "off"
    with Server.stoplist(data.db_url, env=env) as server:
        yield server


def _filter_rows(
    lite: BenchData,
    pg: BenchData,
    before: tuple[Server, Server] | None,
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
            lambda: filter_seconds(before[0], lite),
            lambda: filter_seconds(before[1], pg),
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
    before: tuple[Server, Server] | None,
    repeat: int,
    seconds: int,
    against: Path | None,
) -> list[Row]:
    print("3. check requests/s on SQLite and PostgreSQL ...", flush=True)
    script = check_script(lite)  # the same numbers on both databases
    urls = [check_url(lite.server, lite), check_url(pg.server, pg)]
    if before is not None:
        urls += [check_url(before[0], lite), check_url(before[1], pg)]
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
