"""``check`` and ``filter`` against an independent oracle, on SQLite and PostgreSQL.

The oracle is the slow way: the domain's ``normalize`` with the account's
region, then a plain SQL query of the stops table. Whatever the input (any
spelling of a number, a number stopped or not, something that is no number)
and whatever was just changed through another connection, the one path of
the running server must give the oracle's answer.
"""

from __future__ import annotations

import httpx
import phonenumbers
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from stoplist.domain.errors import StoplistError
from stoplist.domain.numbers import normalize
from stoplist.domain.stops import StopList
from tests.domain.test_properties import _spellings, valid_numbers

CHECK = "/v1/stop-sms/check"
FILTER = "/v1/stop-sms/filter"
STOPPED_AT_START = ["+33612345678", "+33699000001", "+32470123456", "+14155550123"]


def _oracle(db, account, raw: object) -> tuple[str, tuple[int, int] | None] | int:
    """``(E.164, (stop id, created_at) or None)``, or the error code ``normalize`` gives."""
    try:
        number = normalize(raw, account.default_region)
    except StoplistError as error:
        return error.code
    with db.engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT id, created_at FROM stops WHERE account_id = :account AND phone_number = :n"
            ),
            {"account": account.id, "n": number},
        ).first()
    return number, (None if row is None else (row[0], row[1]))


def _inputs() -> st.SearchStrategy[object]:
    spelled = st.builds(lambda number, pick: _pick(_spellings(number, "FR"), pick),
                        valid_numbers(), st.integers(min_value=0))  # fmt: skip
    stopped = st.builds(
        lambda number, pick: _pick(_spellings(phonenumbers.parse(number), "FR"), pick),
        st.sampled_from(STOPPED_AT_START),
        st.integers(min_value=0),
    )
    return st.one_of(
        spelled,
        stopped,
        st.sampled_from(["+330612345678", "0033612345678", "+33 6 12 34 56 78", "+3361234567"]),
        st.text(alphabet="0123456789+ ", max_size=18),
        st.text(max_size=12),
        st.integers(min_value=0, max_value=10**15),
    )


def _pick(forms: list[str], pick: int) -> str:
    return forms[pick % len(forms)]


@pytest.fixture
def stopped_account(db, account, http):
    for number in STOPPED_AT_START:
        params = {"apiKey": account.api_key, "phoneNumber": number}
        assert http.post("/v1/stop-sms/add", json=params).status_code == 200
    return account


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(raw=_inputs(), change=st.sampled_from(["none", "add", "delete"]), by_get=st.booleans())
def test_check_and_filter_agree_with_the_oracle(db, stopped_account, http, raw, change, by_get):
    account = stopped_account.account
    _change_elsewhere(db, account, raw, change)
    expected = _oracle(db, account, raw)
    if by_get and isinstance(raw, str):
        answer = http.get(CHECK, params={"apiKey": stopped_account.api_key, "phoneNumber": raw})
    else:
        answer = http.post(CHECK, json={"apiKey": stopped_account.api_key, "phoneNumber": raw})
    _same_check(answer, expected)
    filtered = http.post(FILTER, json={"apiKey": stopped_account.api_key, "phoneNumbers": [raw]})
    assert filtered.status_code == 200, filtered.text
    _same_item(filtered.json()["data"][0], expected)


def _change_elsewhere(db, account, raw: object, change: str) -> None:
    """Add or take off the number through a connection of the test's, not the server's."""
    try:
        number = normalize(raw, account.default_region)
    except StoplistError:
        return
    stops = StopList(db, account)
    existing = stops.find(number)
    if change == "add" and existing is None:
        stops.add(number)
    elif change == "delete" and existing is not None:
        stops.delete(existing.id)


def _same_check(answer: httpx.Response, expected: tuple[str, tuple[int, int] | None] | int) -> None:
    if isinstance(expected, int):
        assert answer.status_code == 400, answer.text
        assert answer.json()["code"] == expected
        return
    assert answer.status_code == 200, answer.text
    body = answer.json()
    number, stop = expected
    assert body["phoneNumber"] == number
    assert body["stopped"] is (stop is not None)
    if stop is not None:
        assert body["stopId"] == stop[0]


def _same_item(item: dict, expected: tuple[str, tuple[int, int] | None] | int) -> None:
    if isinstance(expected, int):
        assert item["status"] == "invalid"
        return
    number, stop = expected
    assert item["phoneNumber"] == number
    assert item["status"] == ("stopped" if stop is not None else "allowed")
    if stop is not None:
        assert item["stopId"] == stop[0]
