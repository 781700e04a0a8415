"""The client's review calls against a real ``stoplist serve``: list, confirm, dismiss.

Like every client test, each runs with the sync and async clients, in JSON
and XML, on SQLite and PostgreSQL (see conftest).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from stoplist.client import ReviewAlreadyDecided, ReviewItem, ReviewItemNotFound

PARIS = ZoneInfo("Europe/Paris")


def _queue(server, account, number: str, text: str, sent: datetime | None = None) -> None:
    body = {"from": number, "text": text}
    if sent is not None:
        body["timestamp"] = sent.isoformat()
    answer = httpx.post(
        f"{server.base_url}/inbound/{account.account.inbound_token}/generic", json=body
    )
    assert answer.json()["type"] == "review", answer.text


def test_list_then_confirm(client, server, account):
    sent = (datetime.now(UTC) - timedelta(hours=5)).replace(microsecond=0)
    _queue(server, account, "+33612345678", "ne m'envoyez plus de SMS svp", sent)
    page = client.list_review()
    assert (page.pending, page.overdue) == (1, 0)
    (item,) = page.items
    assert isinstance(item, ReviewItem)
    assert (item.phone_number, item.status, item.language) == ("+33612345678", "pending", "fr")
    assert item.text == "ne m'envoyez plus de SMS svp" and item.phrase
    assert item.message_at == sent and item.message_at.tzinfo == PARIS
    assert item.overdue is False and item.event_id > 0
    assert (item.decided_at, item.decided_by, item.reason, item.decision_event_id) == (
        None,
        None,
        None,
        None,
    )

    decided = client.confirm_review(item.id, actor="Claire", reason="clear")
    assert (decided.id, decided.status, decided.decided_by) == (item.id, "confirmed", "Claire")
    assert decided.reason == "clear" and decided.decision_event_id is not None
    assert decided.decided_at is not None and decided.decided_at.tzinfo == PARIS
    assert [stop.phone_number for stop in client.list()] == ["+33612345678"]
    assert client.list_review().items == []
    (confirmed,) = client.list_review(status="confirmed").items
    assert confirmed == decided

    with pytest.raises(ReviewAlreadyDecided) as raised:
        client.dismiss_review(item.id)
    assert (raised.value.code, raised.value.status_code) == (96, 409)


def test_dismiss_and_page(client, server, account):
    for index in range(3):
        _queue(server, account, f"+3361234560{index}", "leave me alone")
    first = client.list_review(limit=2)
    assert len(first.items) == 2 and first.pending == 3
    rest = client.list_review(limit=2, after=first.items[-1].id)
    assert [item.id for item in first.items + rest.items] == sorted(
        item.id for item in first.items + rest.items
    )
    dismissed = client.dismiss_review(rest.items[0].id, reason="a joke between us")
    assert (dismissed.status, dismissed.decided_by) == ("dismissed", "api")
    assert dismissed.reason == "a joke between us"
    assert client.list() == []
    assert [item.status for item in client.list_review(status="all").items].count("dismissed") == 1


def test_an_unknown_item_is_not_found(client):
    with pytest.raises(ReviewItemNotFound) as raised:
        client.confirm_review(999_999)
    assert (raised.value.code, raised.value.status_code) == (95, 404)
