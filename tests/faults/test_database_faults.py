"""The database goes away under load: clear 503s, nothing acknowledged is lost, and recovery.

SQLite: the database file and its WAL are made immutable (``chattr +i``),
which refuses every write even through files already open and even to
root, as a read-only remount does; reads keep working. PostgreSQL: a
throwaway cluster of the test's own (``initdb`` + ``pg_ctl`` on a free
port) is stopped the hard way (``-m immediate``, as a crash) and started
again, so the server the rest of the suite uses is never touched.

In both cases the server process is never restarted: it must come back by
itself.
"""

from __future__ import annotations

import glob
import itertools
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from stoplist.domain.accounts import Accounts, NewAccount
from stoplist.domain.stops import StopList
from stoplist.observability.database_errors import DATABASE_ERRORS, failure_kind
from stoplist.storage.database import Database
from tests.api.test_observability import PatientServer
from tests.inbound.test_webhooks import wait_for
from tests.support import REQUIRE_POSTGRES, Server, free_port

UNAVAILABLE = 94
REFUSED_STOP = "+33699999999"


@dataclass
class Answer:
    number: str
    status: int | None
    body: dict[str, object] = field(default_factory=dict)


class AddLoad:
    """Threads adding new numbers as fast as the server answers, recording every answer."""

    def __init__(self, base_url: str, api_key: str, threads: int = 2) -> None:
        self.base_url = base_url
        self.api_key = api_key
        self.answers: list[Answer] = []
        self._lock = threading.Lock()
        self._numbers = itertools.count()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def _next_number(self) -> str:
        with self._lock:
            return f"+33612{next(self._numbers):06d}"

    def _run(self) -> None:
        with httpx.Client(base_url=self.base_url, timeout=30) as client:
            while not self._stop.is_set():
                number = self._next_number()
                try:
                    response = client.post(
                        "/v1/stop-sms/add", json={"apiKey": self.api_key, "phoneNumber": number}
                    )
                    answer = Answer(number, response.status_code, response.json())
                except (httpx.HTTPError, ValueError):
                    answer = Answer(number, None)
                with self._lock:
                    self.answers.append(answer)
                if answer.status != 200:
                    time.sleep(0.05)  # as a client would back off

    def count(self, status: int) -> int:
        with self._lock:
            return sum(1 for answer in self.answers if answer.status == status)

    def __enter__(self) -> AddLoad:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)

    def __exit__(self, *exc: object) -> None:
        self.stop()


def listed_numbers(client: httpx.Client, api_key: str) -> set[str]:
    answer = client.get("/v1/stop-sms/list", params={"apiKey": api_key})
    assert answer.status_code == 200, answer.text
    return {entry["phoneNumber"] for entry in answer.json()["data"]}


def check_outcome(load: AddLoad, client: httpx.Client, api_key: str) -> None:
    """Every answer was a success or a 503 with code 94, and every success is on the list."""
    statuses = {answer.status for answer in load.answers}
    odd = [answer for answer in load.answers if answer.status not in (200, 503)]
    assert statuses == {200, 503}, odd[:3]
    refused = [answer for answer in load.answers if answer.status == 503]
    assert {answer.body.get("code") for answer in refused} == {UNAVAILABLE}
    on_list = listed_numbers(client, api_key)
    acknowledged = {answer.number for answer in load.answers if answer.status == 200}
    assert acknowledged <= on_list, sorted(acknowledged - on_list)[:5]
    # A refused add changed nothing it could not finish: tried again, it is plainly decided.
    for answer in refused[:20]:
        again = client.post(
            "/v1/stop-sms/add", json={"apiKey": api_key, "phoneNumber": answer.number}
        )
        assert again.status_code in (200, 409), again.text


def new_account(url: str) -> NewAccount:
    """An account in a new database at ``url``, made before any server opens it."""
    db = Database(url)
    try:
        db.migrate()
        return Accounts(db).create("faults")
    finally:
        db.dispose()


def inbound_stop(client: httpx.Client, account: NewAccount, number: str) -> httpx.Response:
    return client.post(
        f"/inbound/{account.account.inbound_token}/generic",
        json={"from": number, "text": "STOP", "id": f"fault-{number}"},
    )


def check_recovery(
    server: Server, client: httpx.Client, load: AddLoad, account: NewAccount
) -> None:
    """With the database back and the load still running: writes succeed again, in the same process.

    Then the load stops and every answer it got is checked; the STOP that was
    refused is delivered again, as the provider would, and is recorded.
    """
    succeeded = load.count(200)
    wait_for(lambda: load.count(200) >= succeeded + 5, "adds after recovery", timeout=60)
    assert inbound_stop(client, account, REFUSED_STOP).status_code == 200
    load.stop()
    check_outcome(load, client, account.api_key)
    assert REFUSED_STOP in listed_numbers(client, account.api_key)
    assert server.process is not None and server.process.poll() is None


def check_log(server: Server, load: AddLoad) -> None:
    """The outage is in the log as short lines, never as a traceback or a number."""
    log = server.log_path.read_text()
    assert "database unavailable" in log
    assert "Traceback" not in log, log[log.find("Traceback") - 500 :][:3000]
    for answer in load.answers:
        assert answer.number.removeprefix("+") not in log


def database_errors(client: httpx.Client) -> dict[str, float]:
    """``stoplist_database_errors_total`` by kind, as the server's ``/metrics`` says."""
    families = text_string_to_metric_families(client.get("/metrics").text)
    return {
        sample.labels["kind"]: sample.value
        for family in families
        for sample in family.samples
        if sample.name == "stoplist_database_errors_total"
    }


# SQLite -----------------------------------------------------------------------------------


@contextmanager
def immutable(paths: list[Path]) -> Iterator[Callable[[], None]]:
    """Make ``paths`` immutable; yields a function that makes them writable again."""
    names = [str(path) for path in paths]
    made = subprocess.run(["chattr", "+i", *names], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"chattr +i is not possible here: {made.stderr.strip()}")
    released = False

    def release() -> None:
        nonlocal released
        if not released:
            subprocess.run(["chattr", "-i", *names], check=True)
            released = True

    try:
        yield release
    finally:
        release()


def test_sqlite_made_read_only_under_load_refuses_writes_and_recovers(tmp_path):
    path = tmp_path / "faults.db"
    account = new_account(f"sqlite:///{path}")
    server = PatientServer(f"sqlite:///{path}", tmp_path / "server.log")
    key = account.api_key
    try:
        server.start()
        with (
            httpx.Client(base_url=server.base_url, timeout=30) as client,
            AddLoad(server.base_url, key) as load,
        ):
            wait_for(lambda: load.count(200) >= 5, "adds before the fault")
            wal = path.with_name(path.name + "-wal")
            with immutable([path, wal] if wal.exists() else [path]) as release:
                refused_before = load.count(503)
                wait_for(lambda: load.count(503) >= refused_before + 3, "refused adds")
                # Reads keep working while writes are refused.
                assert client.get("/v1/stop-sms/list", params={"apiKey": key}).status_code == 200
                checked = client.get(
                    "/v1/stop-sms/check", params={"apiKey": key, "phoneNumber": "0612000000"}
                )
                assert checked.status_code == 200, checked.text
                ready = client.get("/readyz")
                assert ready.status_code == 503
                assert ready.json()["checks"]["writable"] == "read-only"
                stop = inbound_stop(client, account, REFUSED_STOP)
                assert stop.status_code == 503 and stop.json()["code"] == UNAVAILABLE
                assert stop.headers["retry-after"]
                english = client.post(
                    "/v1/stop-sms/add",
                    json={"apiKey": key, "phoneNumber": "+33698888888"},
                    headers={"Accept-Language": "en"},
                    params={"_format": "xml"},
                )
                assert english.status_code == 503
                assert "<entry>94</entry>" in english.text
                assert "The database is unavailable" in english.text
                assert sum(database_errors(client).values()) >= 3
                release()
                wait_for(
                    lambda: client.get("/readyz").status_code == 200,
                    "/readyz to recover",
                    timeout=60,
                )
            check_recovery(server, client, load, account)
    finally:
        server.stop()
    check_log(server, load)


def test_a_connection_opened_while_the_file_was_read_only_is_not_kept(tmp_path):
    path = tmp_path / "read-only.db"
    db = Database(f"sqlite:///{path}")
    try:
        db.migrate()
        stop_list = StopList(db, Accounts(db).create("read-only").account)
        stop_list.add("+33612000001")
        db.engine.dispose()  # the next connection is opened while the file is read-only
        with immutable([path]) as release:
            with pytest.raises(DATABASE_ERRORS) as refused:
                stop_list.add("+33612000002")
            assert failure_kind(refused.value) is not None
            release()
            stop_list.add("+33612000002")
        assert stop_list.find("+33612000002") is not None
    finally:
        db.dispose()


# PostgreSQL -------------------------------------------------------------------------------


def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


class Cluster:
    """A PostgreSQL cluster of the test's own, run as the ``postgres`` user."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="stoplist-pg-"))
        shutil.chown(self.root, "postgres", "postgres")
        self.data = self.root / "data"
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        command = ["runuser", "-u", "postgres", "--", str(self.bin_dir / tool), *args]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"{tool} failed: {result.stdout}\n{result.stderr}")

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        log = str(self.root / "postgres.log")
        self._run("pg_ctl", "-D", str(self.data), "-l", log, "-o", options, "-w", "start")

    def crash(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    bin_dir = _postgres_bin()
    if bin_dir is None or shutil.which("runuser") is None:
        reason = "PostgreSQL server binaries (initdb, pg_ctl) or runuser are not installed"
        if REQUIRE_POSTGRES:
            pytest.fail(reason)
        pytest.skip(reason)
    made = Cluster(bin_dir)
    try:
        made.init()
        made.start()
        yield made
    finally:
        made.destroy()


def test_postgresql_restarted_under_load_loses_nothing_and_recovers(cluster, tmp_path):
    account = new_account(cluster.url)
    server = PatientServer(cluster.url, tmp_path / "server.log", extra_args=("--workers", "2"))
    key = account.api_key
    try:
        server.start()
        with (
            httpx.Client(base_url=server.base_url, timeout=30) as client,
            AddLoad(server.base_url, key) as load,
        ):
            wait_for(lambda: load.count(200) >= 5, "adds before the fault")
            cluster.crash()
            refused_before = load.count(503)
            wait_for(lambda: load.count(503) >= refused_before + 3, "refused adds")
            ready = client.get("/readyz")
            assert ready.status_code == 503 and "database" in ready.json()["failed"]
            listing = client.get("/v1/stop-sms/list", params={"apiKey": key})
            assert listing.status_code == 503 and listing.json()["code"] == UNAVAILABLE
            stop = inbound_stop(client, account, REFUSED_STOP)
            assert stop.status_code == 503 and stop.json()["code"] == UNAVAILABLE
            page = client.get("/dashboard/", headers={"Accept-Language": "fr"})
            assert page.status_code == 503
            assert page.headers["content-type"].startswith("text/html")
            assert "Service indisponible" in page.text
            assert database_errors(client).get("unreachable", 0) >= 3  # refused connections
            cluster.start()
            wait_for(
                lambda: client.get("/readyz").status_code == 200, "/readyz to recover", timeout=60
            )
            check_recovery(server, client, load, account)
    finally:
        server.stop()
    check_log(server, load)
