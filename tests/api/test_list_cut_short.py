"""A whole list that fails halfway is cut off: never a complete-looking shorter list."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import insert

from stoplist.domain import clock
from stoplist.domain.accounts import Accounts
from stoplist.storage.schema import stops

GOOD = 30_000
UNREADABLE = 2**62  # microseconds: far past the year 9999, so no date can show it


def _fill_with_one_unreadable(db, account_id: int) -> None:
    """``GOOD`` ordinary entries, then one whose date cannot be rendered, then more."""
    now = clock.now_us()
    rows = [
        {
            "account_id": account_id,
            "phone_number": f"+3366{i:07d}",
            "created_at": UNREADABLE if i == GOOD else now,
            "source": "import",
        }
        for i in range(GOOD + 100)
    ]
    with db.write() as conn:
        conn.execute(insert(stops), rows)


def _read_until_cut(url: str, params: dict[str, str]) -> bytes:
    """What arrived of an answer that must end without its final chunk."""
    received = bytearray()
    with (
        pytest.raises(httpx.RemoteProtocolError),
        httpx.stream("GET", url, params=params, timeout=120) as answer,
    ):
        assert answer.status_code == 200
        assert "content-length" not in answer.headers  # chunked: an end is a final chunk
        for chunk in answer.iter_raw():
            received += chunk
    return bytes(received)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_listing_failing_mid_stream_has_no_final_chunk(db, server, fmt):
    """Cut off every time: no copy of the broken answer was kept to be sent whole later."""
    created = Accounts(db).create(f"cut-short-{fmt}")
    _fill_with_one_unreadable(db, created.account.id)
    url = f"{server.base_url}/v1/stop-sms/list"
    params = {"apiKey": created.api_key, "_format": fmt}
    for _ in range(2):
        received = _read_until_cut(url, params)
        assert len(received) > 1_000_000  # the first entries went out before the failure
        assert not received.rstrip().endswith((b"]}", b"</result>"))
    answer = httpx.get(url, params={**params, "limit": 10})
    assert answer.status_code == 200  # the server itself is fine
