"""Metrics, JSON logs, request ids and readiness, through a real ``stoplist serve``.

Each test runs a server of its own on a database of its own, so that the
counts it reads are its own requests' and nobody else's.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import orjson
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from stoplist.domain.accounts import Accounts, NewAccount
from stoplist.domain.webhooks import Webhooks
from stoplist.storage.database import HEAD_REVISION, Database
from tests.inbound.test_webhooks import FAST_RETRIES, Receiver, wait_for
from tests.support import Server

METRICS_TOKEN = "metrics-token-for-tests"
ALLOW_LOCAL_RECEIVERS = {"STOPLIST_WEBHOOK_ALLOW_PRIVATE": "1"}
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


class PatientServer(Server):
    """A server given two minutes to come up: two workers on a busy machine can take that."""

    def wait_ready(self, timeout: float = 120.0) -> None:
        super().wait_ready(timeout)


@pytest.fixture
def acme(own_db: Database) -> NewAccount:
    return Accounts(own_db).create("acme")


def scrape(client: httpx.Client) -> Samples:
    answer = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_counters_move_after_an_add_an_inbound_stop_and_a_delivery(own_db, acme, tmp_path):
    with Receiver() as receiver:
        Webhooks(own_db, acme.account, allow_private=True).add(receiver.url())
        env = {**FAST_RETRIES, **ALLOW_LOCAL_RECEIVERS, "STOPLIST_METRICS_TOKEN": METRICS_TOKEN}
        server = PatientServer(
            own_db.url, tmp_path / "server.log", extra_args=("--workers", "2"), env=env
        )
        try:
            server.start()
            with httpx.Client(base_url=server.base_url, timeout=30) as client:
                assert client.get("/metrics").status_code == 401
                wrong = {"Authorization": "Bearer nope"}
                assert client.get("/metrics", headers=wrong).status_code == 401
                before = scrape(client)
                added = client.post(
                    "/v1/stop-sms/add", json={"apiKey": acme.api_key, "phoneNumber": "0612345678"}
                )
                assert added.status_code == 200, added.text
                inbound = client.post(
                    f"/inbound/{acme.account.inbound_token}/generic",
                    json={"from": "+33687654321", "text": "STOP", "id": "m1"},
                )
                assert inbound.status_code == 200, inbound.text
                wait_for(lambda: len(receiver.accepted()) == 2, "two deliveries")
                wait_for(
                    lambda: (
                        value(
                            scrape(client), "stoplist_webhook_deliveries_total", outcome="delivered"
                        )
                        == 2
                    ),
                    "the deliveries to be counted",
                )
                scrapes = [scrape(client) for _ in range(6)]
                raw = client.get(
                    "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
                ).text
        finally:
            server.stop()

    add_route = {"route": "/v1/stop-sms/add", "method": "POST"}
    inbound_route = {"route": "/inbound/{token}/{provider}", "method": "POST"}
    assert value(before, "stoplist_opt_outs_total", source="api") == 0
    # Whichever worker answers the scrape, it reports both workers' counts.
    for after in scrapes:
        assert value(after, "stoplist_http_requests_total", **add_route, status="200") == 1
        assert value(after, "stoplist_http_request_duration_seconds_count", **add_route) == 1
        assert value(after, "stoplist_http_requests_total", **inbound_route, status="200") == 1
        assert value(after, "stoplist_opt_outs_total", source="api") == 1
        assert value(after, "stoplist_opt_outs_total", source="sms") == 1
        assert (
            value(after, "stoplist_inbound_messages_total", provider="generic", verdict="opt_out")
            == 1
        )
        assert value(after, "stoplist_webhook_deliveries_total", outcome="delivered") == 2
        assert value(after, "stoplist_webhook_queue_depth") == 0
        assert value(after, "stoplist_database_up") == 1
    assert ("stoplist_webhook_oldest_pending_age_seconds", frozenset()) in scrapes[0]
    for secret in (acme.api_key, acme.account.inbound_token, "612345678", "687654321"):
        assert secret not in raw


def test_inbound_verdicts_and_the_backlog_are_counted(own_db, acme, tmp_path):
    with Receiver(failures=1000) as receiver:
        Webhooks(own_db, acme.account, allow_private=True).add(receiver.url())
        env = {**ALLOW_LOCAL_RECEIVERS, "STOPLIST_METRICS_TOKEN": METRICS_TOKEN}
        server = PatientServer(own_db.url, tmp_path / "server.log", env=env)
        try:
            server.start()
            with httpx.Client(base_url=server.base_url, timeout=30) as client:
                url = f"/inbound/{acme.account.inbound_token}/generic"
                for body in (
                    {"from": "+33611111111", "text": "STOP", "id": "a"},
                    {"from": "+33611111111", "text": "STOP", "id": "a"},
                    {"from": "+33611111112", "text": "Bus stop at 5?", "id": "b"},
                    {"from": "+33611111113", "text": "HELP", "id": "c"},
                ):
                    assert client.post(url, json=body).status_code == 200
                assert client.post(url, json={"from": "hello", "text": "STOP"}).status_code == 400
                wait_for(
                    lambda: (
                        value(scrape(client), "stoplist_webhook_deliveries_total", outcome="retry")
                        >= 1
                    ),
                    "a refused delivery to be counted",
                )
                samples = scrape(client)
        finally:
            server.stop()

    def verdict(name: str) -> float:
        return value(samples, "stoplist_inbound_messages_total", provider="generic", verdict=name)

    verdicts = ("opt_out", "duplicate", "reply", "help", "rejected")
    assert {name: verdict(name) for name in verdicts} == dict.fromkeys(verdicts, 1)
    assert value(samples, "stoplist_webhook_queue_depth") == 1
    assert value(samples, "stoplist_webhook_oldest_pending_age_seconds") > 0
    assert value(samples, "stoplist_webhook_deliveries_total", outcome="retry") >= 1


def test_json_logs_carry_request_ids_and_no_key_token_or_number(own_db, acme, tmp_path):
    server = PatientServer(own_db.url, tmp_path / "server.log", env={"STOPLIST_LOG_FORMAT": "json"})
    token = acme.account.inbound_token
    try:
        server.start()
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            added = client.get(
                "/v1/stop-sms/add",
                params={"apiKey": acme.api_key, "phoneNumber": "06 12 34 56 78"},
                headers={"X-Request-Id": "req-42"},
            )
            assert added.status_code == 200 and added.headers["x-request-id"] == "req-42"
            for insane in ("has spaces", "x" * 100):
                answer = client.get("/healthz", headers={"X-Request-Id": insane})
                generated = answer.headers["x-request-id"]
                assert generated != insane and len(generated) == 32
            checked = client.get(
                "/v1/stop-sms/check", params={"apiKey": acme.api_key, "phoneNumber": "0612345678"}
            )
            assert checked.json()["stopped"] is True
            client.post(
                f"/inbound/{token}/generic",
                json={"from": "+33622222222", "text": "STOP", "id": "m1"},
                headers={"X-Request-Id": "req-inbound"},
            )
            client.get(
                f"/inbound/{token}/vonage",
                params={"msisdn": "33633333333", "to": "33700000000", "text": "STOP Zorglub"},
            )
            client.get("/dashboard/search", params={"number": "0644444444"})
            client.post(
                "/v1/stop-sms/add",
                headers={"Authorization": f"Bearer {acme.api_key}"},
                data={"phoneNumber": "+33655555555"},
            )
            client.get("/v1/stop-sms/list", params={"apiKey": "sl_not_a_real_key_at_all"})
        server.logs(containing='"status":401')
    finally:
        server.stop()
    log = server.log_path.read_text()

    lines = [orjson.loads(line) for line in log.splitlines() if line.strip()]
    assert lines, "the server logged nothing"
    for line in lines:
        assert {"time", "level", "logger", "message", "request_id"} <= set(line)
    access = [line for line in lines if line["logger"] == "stoplist.access"]
    add_line = next(line for line in access if line["request_id"] == "req-42")
    assert add_line["method"] == "GET" and add_line["route"] == "/v1/stop-sms/add"
    assert add_line["status"] == 200 and add_line["duration_ms"] >= 0
    inbound_line = next(line for line in access if line["request_id"] == "req-inbound")
    assert inbound_line["route"] == "/inbound/{token}/{provider}"
    for secret in (acme.api_key, token, "sl_not_a_real_key", "Zorglub"):
        assert secret not in log
    for digits in ("612345678", "622222222", "633333333", "644444444", "655555555"):
        assert digits not in log


def test_readyz_names_a_schema_that_is_not_at_the_expected_revision(own_db, tmp_path):
    server = PatientServer(own_db.url, tmp_path / "server.log")
    try:
        server.start()
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            ready = client.get("/readyz")
            assert ready.status_code == 200, ready.text
            assert ready.json()["status"] == "ok"
            assert ready.json()["checks"]["database"] == "ok"
            with own_db.write() as conn:
                conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
            behind = client.get("/readyz")
            assert client.get("/healthz").status_code == 200  # alive, but not ready
            with own_db.write() as conn:
                conn.execute(
                    text("UPDATE alembic_version SET version_num = :head"), {"head": HEAD_REVISION}
                )
            again = client.get("/readyz")
    finally:
        server.stop()
    assert behind.status_code == 503
    assert behind.json()["failed"] == ["migrations"]
    assert behind.json()["checks"]["migrations"] == f"at 0001, expected {HEAD_REVISION}"
    assert again.status_code == 200


def test_a_metrics_directory_given_by_the_operator_is_emptied_at_start(own_db, tmp_path):
    directory = tmp_path / "metrics"
    directory.mkdir()
    stale = directory / "counter_999999.db"
    stale.write_bytes(b"\0" * 16)
    env = {"PROMETHEUS_MULTIPROC_DIR": str(directory)}
    server = PatientServer(own_db.url, tmp_path / "server.log", env=env)
    try:
        server.start()
        assert not stale.exists()
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            assert client.get("/metrics").status_code == 200
        assert any(Path(directory).glob("*.db"))
    finally:
        server.stop()
