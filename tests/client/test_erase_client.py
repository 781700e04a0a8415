"""The client's ``erase`` against a real ``stoplist serve`` (sync and async, JSON and XML)."""

from __future__ import annotations

import pytest

from stoplist.client import StopErased, answers


def test_erase_then_the_entry_stays_stopped(client):
    stop_id = client.add("0612345678")
    done = client.erase("06 12 34 56 78", actor="dpo", reason="asked by letter")
    assert isinstance(done, answers.Erased)
    assert (done.phone_number, done.stop_id, done.already) == ("+33612345678", stop_id, False)
    assert done.event_id > 0 and done.erased_at
    assert client.check("+33612345678").stopped is True
    assert client.erase("+33612345678").already is True
    with pytest.raises(StopErased) as refused:
        client.delete(stop_id)
    assert refused.value.api_code == 97
    assert client.history("+33612345678").stopped is True
