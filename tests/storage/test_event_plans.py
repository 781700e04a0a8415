"""Recording an event reads the number's own events, whatever the account's history.

SQLite plans without statistics (unless ANALYZE ran), so a statement that
sorts by event time can be planned through the account's time index, which
walks every event of the account for the one row wanted: on an account of
a million events, a second for each add and each STOP. Every statement on
``events`` that recording runs is planned here, on a lifted erasure too
(whose events are the number's and its stand-in's).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from stoplist.domain.erasure import erase
from stoplist.domain.stops import StopList
from stoplist.records.events import EventKind, NewEvent, Source
from stoplist.storage.database import Database

_ACCOUNT_WIDE_INDEXES = ("ix_events_account_time", "ix_events_received", "ix_events_chain")


@contextmanager
def _statements_on_events(db: Database) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def keep(conn, cursor, statement, parameters, context, executemany) -> None:
        if " events" in statement and statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", keep)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", keep)


def _sms(number: str, kind: EventKind, message_id: str) -> NewEvent:
    return NewEvent(number, kind, Source.SMS, provider="test", provider_message_id=message_id)


def test_recording_reads_only_the_numbers_own_events(db, account, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL plans from the statistics it keeps")
    stops = StopList(db, account.account)
    number, erased = "+33612345001", "+33612345002"
    with _statements_on_events(db) as statements:
        stops.add(number)
        stops.record(_sms(number, EventKind.OPT_IN, "in-1"))
        stops.record(_sms(number, EventKind.OPT_OUT, "out-1"))
        stops.record(_sms(number, EventKind.OPT_OUT, "out-1"))  # a redelivery
        stops.add(erased)
        erase(stops, erased)
        stops.record(_sms(erased, EventKind.OPT_IN, "in-2"))  # lifts the erasure
        stops.record(_sms(erased, EventKind.OPT_OUT, "out-2"))
    assert len(statements) > 10
    with db.engine.connect() as conn:
        for statement, parameters in statements:
            plan = " | ".join(
                str(row[-1])
                for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            )
            walks = "SCAN events" in plan or any(name in plan for name in _ACCOUNT_WIDE_INDEXES)
            assert not walks, f"{plan}\n{statement}"
