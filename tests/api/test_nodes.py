"""Two ``serve`` processes on one database: a STOP acknowledged by one is seen by the other.

No check or filter that the other node receives after the acknowledgement
may answer "allowed" for that number, however warm its caches are. The
database is each backend in turn: PostgreSQL (two nodes) and one SQLite
file (two processes).
"""

from __future__ import annotations

import random
import threading
import time

import httpx

CHECK = "/v1/stop-sms/check"
FILTER = "/v1/stop-sms/filter"
ROUNDS = 120


def _stopped_by_check(client: httpx.Client, key: str, number: str) -> bool:
    answer = client.get(CHECK, params={"apiKey": key, "phoneNumber": number})
    assert answer.status_code == 200, answer.text
    return answer.json()["stopped"]


def _stopped_by_filter(client: httpx.Client, key: str, number: str) -> bool:
    answer = client.post(FILTER, json={"apiKey": key, "phoneNumbers": [number]})
    assert answer.status_code == 200, answer.text
    return answer.json()["data"][0]["status"] == "stopped"


def test_each_acknowledged_change_is_seen_by_the_next_read_of_the_other_node(
    server, strict_server, account
):
    key = account.api_key
    with (
        httpx.Client(base_url=server.base_url, timeout=30) as one,
        httpx.Client(base_url=strict_server.base_url, timeout=30) as two,
    ):
        for round_ in range(ROUNDS):
            writer, reader = (one, two) if round_ % 2 == 0 else (two, one)
            number = f"+3361{round_:07d}"
            assert not _stopped_by_check(reader, key, number)  # warms the reader's caches
            assert not _stopped_by_filter(reader, key, number)
            added = writer.post("/v1/stop-sms/add", json={"apiKey": key, "phoneNumber": number})
            assert added.status_code == 200, added.text
            assert _stopped_by_check(reader, key, number), f"round {round_}: check missed it"
            assert _stopped_by_filter(reader, key, number), f"round {round_}: filter missed it"
            if round_ % 3 == 0:
                gone = writer.post(
                    "/v1/stop-sms/delete", json={"apiKey": key, "stopId": added.json()["stopId"]}
                )
                assert gone.status_code == 200, gone.text
                assert not _stopped_by_check(reader, key, number)
                assert not _stopped_by_filter(reader, key, number)


def test_no_read_that_started_after_an_acknowledgement_misses_it(server, strict_server, account):
    """Readers hammer one node while the other adds: every late read must say "stopped"."""
    key = account.api_key
    acknowledged: dict[str, float] = {}
    latest: list[str] = []
    reads: list[tuple[str, float, bool]] = []
    failures: list[BaseException] = []
    done = threading.Event()
    lock = threading.Lock()

    def read(kind: str) -> None:
        with httpx.Client(base_url=strict_server.base_url, timeout=30) as client:
            while not done.is_set():
                with lock:  # one of the newest numbers: some just acknowledged, one not yet
                    number = random.choice(latest[-3:]) if latest else None
                if number is None:
                    time.sleep(0.001)
                    continue
                started = time.monotonic()
                try:
                    if kind == "check":
                        stopped = _stopped_by_check(client, key, number)
                    else:
                        stopped = _stopped_by_filter(client, key, number)
                except (AssertionError, httpx.HTTPError) as error:
                    failures.append(error)
                    return
                with lock:
                    reads.append((number, started, stopped))

    readers = [threading.Thread(target=read, args=(kind,)) for kind in ("check", "check", "filter")]
    for thread in readers:
        thread.start()
    try:
        with httpx.Client(base_url=server.base_url, timeout=30) as writer:
            for round_ in range(ROUNDS):
                number = f"+3362{round_:07d}"
                with lock:
                    latest.append(number)
                time.sleep(0.002)  # let the readers see it "allowed" first
                added = writer.post("/v1/stop-sms/add", json={"apiKey": key, "phoneNumber": number})
                assert added.status_code == 200, added.text
                acknowledged[number] = time.monotonic()
    finally:
        done.set()
        for thread in readers:
            thread.join()
    assert failures == []
    late = [(number, stopped) for number, started, stopped in reads
            if number in acknowledged and started > acknowledged[number]]  # fmt: skip
    assert len(late) > ROUNDS / 2, "the readers did not overlap the writes"
    missed = [number for number, stopped in late if not stopped]
    assert missed == []
