"""``stoplist sync`` between two real servers: one plays the upstream SMS Partner
account, the other is the local mirror with a database of its own."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass

import httpx
import pytest

from stoplist.cli.sync import report_json
from stoplist.client import Client
from stoplist.domain.accounts import Accounts
from stoplist.domain.stops import StopList
from stoplist.domain.sync import sync_from
from stoplist.storage.database import Database
from tests.client.faulty_proxy import FaultyProxy
from tests.support import (
    Server,
    run_cli,
    run_cli_here,
    run_cli_on_terminal,
    temporary_postgres_database,
)
from tests.web.conftest import dashboard_client


@dataclass
class Mirror:
    server: Server
    db: Database
    url: str


@pytest.fixture(scope="module")
def mirror(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mirror]:
    """A second server, on the same backend as the upstream but its own database."""
    with ExitStack() as stack:
        if database_url.startswith("sqlite"):
            url = f"sqlite:///{tmp_path_factory.mktemp('mirror') / 'mirror.db'}"
        else:
            url = stack.enter_context(temporary_postgres_database())
        db = Database(url)
        db.migrate()
        stack.callback(db.dispose)
        server = Server(url, tmp_path_factory.mktemp("mirror-log") / "server.log").start()
        stack.callback(server.stop)
        yield Mirror(server, db, url)


_mirrors = 0


@pytest.fixture
def local(mirror: Mirror):
    """A fresh account on the mirror, and a client to look at it through its API."""
    global _mirrors
    _mirrors += 1
    created = Accounts(mirror.db).create(f"mirror-{_mirrors}")
    with Client(f"{mirror.server.base_url}/v1", created.api_key, retries=0) as client:
        yield created.account.name, client


@pytest.fixture
def local_key(mirror: Mirror):
    """``local`` with the account's API key, for the calls made without the client."""
    global _mirrors
    _mirrors += 1
    created = Accounts(mirror.db).create(f"mirror-{_mirrors}")
    with Client(f"{mirror.server.base_url}/v1", created.api_key, retries=0) as client:
        yield created.account.name, client, created.api_key


@pytest.fixture
def upstream(server, account):
    with Client(f"{server.base_url}/v1", account.api_key, retries=0) as client:
        yield client


def sync(mirror, name, from_url, api_key, *extra, check=True):
    result = run_cli(
        "sync",
        "--from",
        from_url,
        "--account",
        name,
        "--database",
        mirror.url,
        "--json",
        "--retries",
        "0",
        *extra,
        env={"STOPLIST_FROM_API_KEY": api_key},
        check=check,
    )
    return json.loads(result.stdout) if check else result


def sync_in_process(mirror, name, from_url, api_key, *extra):
    """The same run as ``sync`` without starting a process, for the longer scenarios."""
    here = Accounts(mirror.db).get(name)
    with Client(from_url, api_key, retries=0) as client:
        report = sync_from(
            client, StopList(mirror.db, here), mirror_deletes="--mirror-deletes" in extra
        )
    return report_json(report)


def numbers(changes):
    return [change["phoneNumber"] for change in changes]


def test_sync_adds_then_reruns_change_nothing(server, account, mirror, local, upstream):
    name, here = local
    ids = [upstream.add(n) for n in ("0611111111", "0622222222", "0633333333")]
    first = sync(mirror, name, f"{server.base_url}/v1", account.api_key)
    assert first["upstreamTotal"] == 3, first
    assert numbers(first["added"]) == ["+33611111111", "+33622222222", "+33633333333"]
    assert [c["upstreamId"] for c in first["added"]] == ids
    mirrored = here.list()
    assert [(s.phone_number, s.created_at) for s in mirrored] == [
        (s.phone_number, s.created_at) for s in upstream.list()
    ]
    history = here.history("0611111111")
    assert [(e.type, e.source) for e in history.events] == [("opt_out", "sync")]
    second = sync(mirror, name, f"{server.base_url}/v1", account.api_key)
    assert (second["added"], second["unchanged"]) == ([], 3)
    assert here.list() == mirrored
    assert len(here.history("0611111111").events) == 1


def test_removed_upstream_is_reported_then_mirrored(server, account, mirror, local, upstream):
    name, here = local
    keep = upstream.add("0611111111")
    gone = upstream.add("0622222222")
    url = f"{server.base_url}/v1"
    sync_in_process(mirror, name, url, account.api_key)
    upstream.delete(gone)
    reported = sync_in_process(mirror, name, url, account.api_key)
    assert numbers(reported["removedUpstream"]) == ["+33622222222"]
    assert reported["deleted"] == []
    assert [s.phone_number for s in here.list()] == ["+33611111111", "+33622222222"]
    mirrored = sync_in_process(mirror, name, url, account.api_key, "--mirror-deletes")
    assert numbers(mirrored["deleted"]) == ["+33622222222"]
    assert [s.phone_number for s in here.list()] == ["+33611111111"]
    assert [(e.type, e.source) for e in here.history("0622222222").events] == [
        ("opt_in", "sync"),
        ("opt_out", "sync"),
    ]
    again = sync_in_process(mirror, name, url, account.api_key, "--mirror-deletes")
    assert (again["added"], again["deleted"], again["removedUpstream"]) == ([], [], [])
    # Stopped upstream again later: a new upstream entry, mirrored again.
    upstream.add("0622222222")
    back = sync_in_process(mirror, name, url, account.api_key)
    assert numbers(back["added"]) == ["+33622222222"]
    assert keep in [s.id for s in upstream.list()]


def test_mirror_deletes_never_undo_a_local_opt_out(server, account, mirror, local, upstream):
    name, here = local
    here.add("0611111111")  # the person opted out here too
    stop_id = upstream.add("0611111111")
    url = f"{server.base_url}/v1"
    assert sync_in_process(mirror, name, url, account.api_key)["added"] == []
    upstream.delete(stop_id)
    result = sync_in_process(mirror, name, url, account.api_key, "--mirror-deletes")
    assert result["deleted"] == []
    assert numbers(result["kept"]) == ["+33611111111"]
    assert [s.phone_number for s in here.list()] == ["+33611111111"]


def test_an_opt_in_that_lifted_an_erasure_here_outranks_an_older_upstream_stop(
    server, account, mirror, local, upstream
):
    """The person's START lifted the number's erasure here after it was stopped upstream:
    that opt-in is kept under the number's stand-in, and still leaves it off. (It comes
    in a later second: the upstream's times are to the second, and within its second
    the STOP would outrank it.)"""
    name, here = local
    upstream.add("0611111111")
    time.sleep(1 - time.time() % 1)
    here.erase("0611111111")
    token = Accounts(mirror.db).get(name).inbound_token
    started = httpx.post(
        f"{mirror.server.base_url}/inbound/{token}/generic",
        json={"from": "+33611111111", "text": "START", "id": "lifted-1"},
    )
    assert started.json()["type"] == "opt_in"
    report = sync(mirror, name, f"{server.base_url}/v1", account.api_key)
    assert report["added"] == [] and numbers(report["optedInHere"]) == ["+33611111111"]
    assert here.check("0611111111").stopped is False
    assert here.list() == []


def test_upstream_failing_midway_changes_nothing_and_a_rerun_finishes(
    server, account, mirror, local, upstream
):
    name, here = local
    for digit in range(5):
        upstream.add(f"061111111{digit}")
    with FaultyProxy(server.base_url, only="/stop-sms/list").running() as proxy:
        url = f"{proxy.base_url}/v1"
        # The first page arrives whole, the second is cut halfway.
        proxy.faults = ["pass"]
        proxy.always = "truncate"
        failed = sync(mirror, name, url, account.api_key, "--page-size", "2", check=False)
        assert failed.returncode == 1
        assert "nothing was changed" in failed.stderr
        assert proxy.requests_to("/stop-sms/list") == 2
        assert here.list() == []
        proxy.always = None
        done = sync(mirror, name, url, account.api_key, "--page-size", "2")
    assert len(done["added"]) == 5
    assert [s.phone_number for s in here.list()] == [s.phone_number for s in upstream.list()]


def test_bad_upstream_key_fails_cleanly(server, mirror, local):
    name, here = local
    result = sync(mirror, name, f"{server.base_url}/v1", "sl_wrong", check=False)
    assert result.returncode == 1
    assert "[10]" in result.stderr
    assert here.list() == []


def test_plain_output_says_what_changed(server, account, mirror, local, upstream):
    name, _ = local
    upstream.add("0611111111")
    result = run_cli_here(
        "sync",
        "--from",
        f"{server.base_url}/v1",
        "--from-api-key",
        account.api_key,
        "--account",
        name,
        "--database",
        mirror.url,
        "--verbose",
    )
    assert "added    +33611111111" in result.stdout
    assert "1 added" in result.stdout
    assert account.api_key not in result.stdout + result.stderr


def test_a_large_first_sync_shows_a_bar_and_a_summary(server, account, mirror, local, http):
    """Not one line per number: a bar on the terminal, then the counts."""
    name, here = local
    body = "".join(f"+3361{i:07d}\n" for i in range(1500))
    imported = http.post("/v1/stop-sms/import", params={"apiKey": account.api_key}, content=body)
    assert imported.json()["added"] == 1500
    returncode, stdout, drawn = run_cli_on_terminal(
        "sync",
        "--from",
        server.base_url,  # no /v1: it is added
        "--account",
        name,
        "--database",
        mirror.url,
        "--page-size",
        "500",
        env={"STOPLIST_FROM_API_KEY": account.api_key},
    )
    assert returncode == 0, drawn.decode(errors="replace")
    lines = stdout.decode().splitlines()
    assert len(lines) <= 3, lines
    assert "1500 upstream, 1500 added, 0 deleted" in lines[0]
    assert "+3361" not in stdout.decode()
    assert b"recording" in drawn and b"1500/1500" in drawn and b"\x1b[" in drawn
    assert len(here.list()) == 1500
    again = run_cli(
        "sync",
        "--from",
        f"{server.base_url}/v1",
        "--account",
        name,
        "--database",
        mirror.url,
        "--verbose",
        env={"STOPLIST_FROM_API_KEY": account.api_key},
    )
    assert "1500 unchanged" in again.stdout and "\x1b[" not in again.stderr


KEPT, DROPPED = "0655000011", "0655000022"
"""Both stopped upstream and mirrored; the business stops ``KEPT`` again here."""


def _synced_pair(server, account, mirror, name, upstream) -> list[int]:
    """``KEPT`` and ``DROPPED`` stopped upstream and mirrored; their upstream ids."""
    ids = [upstream.add(number) for number in (KEPT, DROPPED)]
    added = sync_in_process(mirror, name, f"{server.base_url}/v1", account.api_key)["added"]
    assert numbers(added) == ["+33655000011", "+33655000022"]
    return ids


def _dropped_upstream_then_mirrored(server, account, mirror, name, upstream, ids) -> None:
    """Both gone upstream: the mirror keeps ``KEPT``, which the business stopped too."""
    for stop_id in ids:
        upstream.delete(stop_id)
    url = f"{server.base_url}/v1"
    result = sync_in_process(mirror, name, url, account.api_key, "--mirror-deletes")
    assert numbers(result["kept"]) == ["+33655000011"], result
    assert numbers(result["deleted"]) == ["+33655000022"], result


def _sources(here, number):
    return [(event.type, event.source) for event in here.history(number).events]


def test_an_add_answered_already_stopped_keeps_a_synced_number_the_upstream_drops(
    server, account, mirror, local_key, upstream
):
    """A 409 still records the business's opt-out when only a sync stopped the number."""
    name, here, key = local_key
    ids = _synced_pair(server, account, mirror, name, upstream)
    here.add("0655000033")  # the business's own entry: adding it again records nothing
    entries = here.list()
    with httpx.Client(base_url=mirror.server.base_url) as http:
        for number, entry in [(KEPT, entries[0]), (KEPT, entries[0]), ("0655000033", entries[2])]:
            again = http.post("/v1/stop-sms/add", data={"apiKey": key, "phoneNumber": number})
            assert (again.status_code, again.json()["code"]) == (409, 3), again.text
            assert again.json()["stopId"] == entry.id
    # Once: the second add finds the number stopped by the business already.
    assert _sources(here, KEPT) == [("opt_out", "api"), ("opt_out", "sync")]
    assert _sources(here, "0655000033") == [("opt_out", "api")]
    assert here.list() == entries  # same ids, same dates
    _dropped_upstream_then_mirrored(server, account, mirror, name, upstream, ids)
    assert (here.check(KEPT).stopped, here.check(DROPPED).stopped) == (True, False)


def test_an_import_of_synced_numbers_keeps_them_when_the_upstream_drops_them(
    server, account, mirror, local_key, upstream
):
    """Counted as already stopped, as before; recorded only where a sync alone stopped it."""
    name, here, key = local_key
    ids = _synced_pair(server, account, mirror, name, upstream)
    here.add("0655000033")  # the business's own entry: an import adds nothing to it
    body = f"{KEPT}\n0655000033\n0655000044\n".encode()
    with httpx.Client(base_url=mirror.server.base_url) as http:
        answer = http.post(
            "/v1/stop-sms/import",
            params={"apiKey": key},
            content=body,
            headers={"content-type": "text/csv"},
        )
    report = answer.json()
    assert (report["added"], report["alreadyStopped"], report["optedIn"]) == (1, 2, 0), report
    assert _sources(here, KEPT) == [("opt_out", "import"), ("opt_out", "sync")]
    assert _sources(here, "0655000033") == [("opt_out", "api")]
    assert _sources(here, DROPPED) == [("opt_out", "sync")]
    _dropped_upstream_then_mirrored(server, account, mirror, name, upstream, ids)
    assert (here.check(KEPT).stopped, here.check(DROPPED).stopped) == (True, False)


def test_a_dashboard_add_of_a_synced_number_keeps_it_when_the_upstream_drops_it(
    server, account, mirror, local_key, upstream
):
    name, here, key = local_key
    ids = _synced_pair(server, account, mirror, name, upstream)
    with dashboard_client(mirror.server, key) as (client, token):
        added = client.post(
            "/dashboard/numbers",
            data={"csrf_token": token, "number": KEPT, "reason": "asked by phone"},
        )
    assert added.status_code == 303 and "done=already" in added.headers["location"]
    events = here.history(KEPT).events
    assert [(e.type, e.source, e.reason) for e in events] == [
        ("opt_out", "dashboard", "asked by phone"),
        ("opt_out", "sync", None),
    ]
    _dropped_upstream_then_mirrored(server, account, mirror, name, upstream, ids)
    assert (here.check(KEPT).stopped, here.check(DROPPED).stopped) == (True, False)
