"""Three ``stoplist serve`` nodes on one PostgreSQL, behind a real nginx doing round robin.

Writers add, delete, send STOPs through a provider endpoint and import
files through the balancer while readers check, filter and list through it
and through each node directly. Every number changes state at most once
during the run, so each write has one acknowledgement time and one expected
state after it. Times come from one monotonic clock in this process: a
write is acknowledged when its answer has arrived, a read starts before its
request is sent. A read that started after an acknowledgement must show it;
a read that overlapped the write may show either state.

Each node spools the inbound messages that find the list locked for more
than a moment (an import writing, another writer): a STOP answered
``spooled`` is acknowledged, and every ``check`` and ``filter`` after it
must say stopped, while it is only held; ``list`` shows it once written.

Afterwards every node's whole list is byte-identical (each node answers
from its own kept copy, in its own directory), every acknowledged write is
on it and every acknowledged delete is not.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import orjson
import pytest

from stoplist.domain.accounts import Accounts
from stoplist.domain.canonical import is_canonical
from stoplist.storage.database import Database
from tests.support import (
    REQUIRE_POSTGRES,
    Server,
    free_port,
    postgres_unavailable_reason,
    temporary_postgres_database,
)
from tests.web.nginx import NGINX, Nginx, Site

NODES = 3
SEEDED = 12_000  # above the size from which a node keeps a copy of the whole list
RUN_SECONDS = 12.0
IMPORT_SIZE = 400
API = "/v1/stop-sms"


@dataclass
class Cluster:
    nodes: list[Server]
    balancer: Site
    api_key: str
    inbound_token: str

    @property
    def urls(self) -> list[str]:
        return [self.balancer.url, *(node.base_url for node in self.nodes)]


@dataclass
class Ledger:
    """Each number's one change in the run: its expected state and when it was acknowledged."""

    stopped: dict[str, float] = field(default_factory=dict)
    removed: dict[str, float] = field(default_factory=dict)
    spooled: set[str] = field(default_factory=set)
    """STOPs acknowledged as spooled: held until written, so not yet on every ``list``."""
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def acknowledged(self, numbers: list[str], *, stopped: bool, at: float) -> None:
        with self.lock:
            target = self.stopped if stopped else self.removed
            for number in numbers:
                target[number] = at

    def failed(self, what: str) -> None:
        with self.lock:
            self.failures.append(what)

    def known_before(self, started: float) -> tuple[set[str], set[str]]:
        """The numbers acknowledged stopped, and removed, before ``started``."""
        with self.lock:
            return (
                {n for n, at in self.stopped.items() if at < started},
                {n for n, at in self.removed.items() if at < started},
            )


@dataclass(frozen=True)
class Read:
    via: str
    kind: str
    started: float
    answers: dict[str, bool]
    """Each number read and whether the answer said it is stopped."""


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    if NGINX is None:
        pytest.skip("nginx is not installed (apt-get install nginx)")
    reason = postgres_unavailable_reason()
    if reason:
        if REQUIRE_POSTGRES:
            pytest.fail(reason)
        pytest.skip(reason)
    directory = tmp_path_factory.mktemp("nodes")
    with temporary_postgres_database() as url:
        db = Database(url)
        db.migrate()
        created = Accounts(db).create("shop")
        db.dispose()
        nodes = [
            Server(
                url,
                directory / f"node{index}.log",
                env={
                    "STOPLIST_LIST_CACHE_DIR": str(directory / f"lists{index}"),
                    "STOPLIST_INBOUND_SPOOL_DIR": str(directory / f"spool{index}"),
                    "STOPLIST_INBOUND_LOCK_WAIT": "0.05",
                },
            )
            for index in range(NODES)
        ]
        with ThreadPoolExecutor(NODES) as pool:
            list(pool.map(Server.start, nodes))
        balancer = Site(free_port(), tuple(node.port for node in nodes), "proxy_next_upstream off;")
        nginx = Nginx(directory / "nginx", [balancer]).start()
        try:
            yield Cluster(nodes, balancer, created.api_key, created.account.inbound_token)
        finally:
            nginx.stop()
            for node in nodes:
                node.stop()


def _numbers(rng: random.Random, count: int) -> list[str]:
    """``count`` distinct valid French mobile numbers in E.164."""
    drawn = (f"+336{n:08d}" for n in rng.sample(range(10**8), count * 2))
    return [number for number in drawn if is_canonical(number)][:count]


def _listing(client: httpx.Client, base: str, key: str) -> tuple[bytes, dict[str, int]]:
    answer = client.get(f"{base}{API}/list", params={"apiKey": key})
    assert answer.status_code == 200, answer.text[:300]
    entries = orjson.loads(answer.content)["data"]
    return answer.content, {entry["phoneNumber"]: entry["id"] for entry in entries}


def test_three_nodes_agree_and_no_read_misses_an_acknowledged_write(cluster: Cluster) -> None:
    rng = random.Random(14)
    pool = _numbers(rng, SEEDED + 80_000)
    seeded, fresh = pool[:SEEDED], iter(pool[SEEDED:])
    key = cluster.api_key
    with httpx.Client(base_url=cluster.balancer.url, timeout=60) as client:
        body = "phoneNumber\n" + "\n".join(seeded) + "\n"
        answer = client.post(f"{API}/import", params={"apiKey": key}, content=body)
        assert answer.json()["added"] == SEEDED, answer.text[:300]
        _, ids = _listing(client, cluster.balancer.url, key)
    assert set(ids) == set(seeded)

    ledger = Ledger()
    reads: list[Read] = []
    reads_lock = threading.Lock()
    deletable = iter(rng.sample(seeded, len(seeded)))
    fresh_lock = threading.Lock()
    stop = threading.Event()

    def take(source: Iterator[str], count: int = 1) -> list[str]:
        with fresh_lock:
            return [next(source) for _ in range(count)]

    def writer(step: Callable[[httpx.Client], None]) -> Callable[[], None]:
        def run() -> None:
            with httpx.Client(base_url=cluster.balancer.url, timeout=60) as http:
                while not stop.is_set():
                    step(http)

        return run

    def add(http: httpx.Client) -> None:
        [number] = take(fresh)
        answer = http.post(f"{API}/add", json={"apiKey": key, "phoneNumber": number})
        if answer.status_code != 200 or not answer.json().get("stopId"):
            ledger.failed(f"add {number}: {answer.status_code} {answer.text[:200]}")
            return
        ledger.acknowledged([number], stopped=True, at=time.monotonic())

    def delete(http: httpx.Client) -> None:
        [number] = take(deletable)
        answer = http.post(f"{API}/delete", json={"apiKey": key, "id": ids[number]})
        if answer.status_code != 200:
            ledger.failed(f"delete {number}: {answer.status_code} {answer.text[:200]}")
            return
        ledger.acknowledged([number], stopped=False, at=time.monotonic())

    def inbound(http: httpx.Client) -> None:
        [number] = take(fresh)
        answer = http.post(
            f"/inbound/{cluster.inbound_token}/generic", json={"from": number, "text": "STOP"}
        )
        if answer.status_code != 200:
            ledger.failed(f"STOP {number}: {answer.status_code} {answer.text[:200]}")
            return
        if answer.json().get("status") == "spooled":
            with ledger.lock:
                ledger.spooled.add(number)
        ledger.acknowledged([number], stopped=True, at=time.monotonic())

    def import_file(http: httpx.Client) -> None:
        numbers = take(fresh, IMPORT_SIZE)
        answer = http.post(
            f"{API}/import", params={"apiKey": key}, content="\n".join(numbers) + "\n"
        )
        if answer.status_code != 200 or answer.json()["added"] != IMPORT_SIZE:
            ledger.failed(f"import: {answer.status_code} {answer.text[:200]}")
            return
        ledger.acknowledged(numbers, stopped=True, at=time.monotonic())

    def sample() -> list[str]:
        """Acknowledged numbers: the latest (where a stale read would show) and others."""
        with ledger.lock:
            changes = sorted(
                [*ledger.stopped.items(), *ledger.removed.items()], key=lambda item: item[1]
            )
        numbers = [number for number, _ in changes]
        latest, earlier = numbers[-50:], numbers[:-50]
        return latest + rng.sample(earlier, min(100, len(earlier)))

    def reader(base: str, kind: str) -> Callable[[], None]:
        def run() -> None:
            with httpx.Client(base_url=base, timeout=60) as http:
                while not stop.is_set():
                    numbers = sample()
                    if not numbers:
                        time.sleep(0.01)
                        continue
                    started = time.monotonic()
                    answers = _read(http, kind, key, numbers)
                    with reads_lock:
                        reads.append(Read(base, kind, started, answers))

        return run

    tasks = [writer(add), writer(add), writer(delete), writer(inbound), writer(import_file)]
    for base in cluster.urls:
        tasks += [reader(base, "check"), reader(base, "filter")]
    tasks += [reader(base, "list") for base in (cluster.balancer.url, cluster.nodes[0].base_url)]
    with ThreadPoolExecutor(len(tasks)) as executor:
        running = [executor.submit(task) for task in tasks]
        time.sleep(RUN_SECONDS)
        stop.set()
        for future in running:
            future.result()

    assert not ledger.failures, ledger.failures[:5]
    kinds = {kind for kind in ("check", "filter", "list") if any(r.kind == kind for r in reads)}
    assert kinds == {"check", "filter", "list"}
    assert {read.via for read in reads} == set(cluster.urls)
    # Enough work to mean something, even on a loaded machine: several imports and deletes.
    assert len(ledger.removed) > 5 and len(ledger.stopped) > 3 * IMPORT_SIZE

    missed = []
    for read in reads:
        stopped, removed = ledger.known_before(read.started)
        if read.kind == "list":
            stopped -= ledger.spooled  # held until written: a list shows what is written
        for number, is_stopped in read.answers.items():
            if (number in stopped and not is_stopped) or (number in removed and is_stopped):
                missed.append((read.via, read.kind, number, is_stopped))
    assert not missed, f"{len(missed)} answers missed an acknowledged write: {missed[:5]}"

    _wait_until_spools_are_empty(cluster)

    expected = (set(seeded) - set(ledger.removed)) | set(ledger.stopped)
    with httpx.Client(timeout=60) as client:
        listings = [_listing(client, node.base_url, key) for node in cluster.nodes]
        exports = {
            client.get(f"{node.base_url}{API}/export", params={"apiKey": key}).content
            for node in cluster.nodes
        }
    assert len({body for body, _ in listings}) == 1, "the nodes' lists differ"
    assert len(exports) == 1
    assert set(listings[0][1]) == expected


def _wait_until_spools_are_empty(cluster: Cluster, timeout: float = 60.0) -> None:
    """Until every node has written what it spooled (``stoplist_inbound_spooled`` is 0)."""
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=30) as client:
        for node in cluster.nodes:
            while True:
                metrics = client.get(f"{node.base_url}/metrics").text
                found = re.search(r"^stoplist_inbound_spooled (\S+)$", metrics, re.MULTILINE)
                assert found is not None
                if float(found.group(1)) == 0:
                    break
                assert time.monotonic() < deadline, f"{node.base_url} kept messages spooled"
                time.sleep(0.1)


def _read(http: httpx.Client, kind: str, key: str, numbers: list[str]) -> dict[str, bool]:
    """Whether each of ``numbers`` is stopped, as one ``kind`` of read answers it."""
    if kind == "check":
        number = numbers[0]
        answer = http.get(f"{API}/check", params={"apiKey": key, "phoneNumber": number})
        assert answer.status_code == 200, answer.text[:300]
        return {number: answer.json()["stopped"]}
    if kind == "filter":
        answer = http.post(f"{API}/filter", json={"apiKey": key, "phoneNumbers": numbers})
        assert answer.status_code == 200, answer.text[:300]
        return {item["phoneNumber"]: item["status"] == "stopped" for item in answer.json()["data"]}
    _, listed = _listing(http, "", key)
    return {number: number in listed for number in numbers}


def test_a_node_keeps_its_own_copy_of_the_list(cluster: Cluster) -> None:
    """Each node keeps its copy of the whole list in its own directory."""
    with httpx.Client(timeout=60) as client:
        bodies = {_listing(client, node.base_url, cluster.api_key)[0] for node in cluster.nodes}
    assert len(bodies) == 1
    for index, node in enumerate(cluster.nodes):
        directory = Path(node.env["STOPLIST_LIST_CACHE_DIR"])
        assert directory.name == f"lists{index}"
        assert any(path.is_file() for path in directory.rglob("*")), f"node {index} kept none"
