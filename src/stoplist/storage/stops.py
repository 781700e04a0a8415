"""SQL for the stops table: the numbers currently on each account's list."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, literal_column, select, update

from stoplist.domain.models import Stop
from stoplist.storage.database import Database
from stoplist.storage.schema import stops

StopRow = tuple[int, str, int]
"""``(id, phone_number, created_at)``: what listing needs, nothing more."""


def _stop(row: Row[Any]) -> Stop:
    return Stop(
        id=row.id,
        account_id=row.account_id,
        phone_number=row.phone_number,
        created_at=row.created_at,
        source=row.source,
    )


_NUMBER_LOOKUP = (
    "SELECT id, created_at, source FROM stops WHERE account_id = ? AND phone_number = ?"
)


def find_by_number(conn: Connection, account_id: int, phone_number: str) -> Stop | None:
    """The entry for a number, inside the caller's transaction (plain driver SQL)."""
    marks = _NUMBER_LOOKUP if conn.dialect.name == "sqlite" else _NUMBER_LOOKUP.replace("?", "%s")
    row = conn.exec_driver_sql(marks, (account_id, phone_number)).first()
    return Stop(row[0], account_id, phone_number, row[1], row[2]) if row else None


def lookup_number(db: Database, account_id: int, phone_number: str) -> Stop | None:
    """``find_by_number`` as a read of its own, for ``check`` (see ``Database.fetch_one``)."""
    row = db.fetch_one(_NUMBER_LOOKUP, (account_id, phone_number))
    return Stop(row[0], account_id, phone_number, row[1], row[2]) if row else None


def find_by_id(conn: Connection, account_id: int, stop_id: int) -> Stop | None:
    row = conn.execute(
        select(stops).where(stops.c.account_id == account_id, stops.c.id == stop_id)
    ).first()
    return _stop(row) if row else None


def insert_stop(
    conn: Connection,
    account_id: int,
    phone_number: str,
    *,
    created_at: int,
    source: str,
    event_id: int | None,
) -> Stop:
    stop_id = conn.execute(
        insert(stops).values(
            account_id=account_id,
            phone_number=phone_number,
            created_at=created_at,
            source=source,
            event_id=event_id,
        )
    ).inserted_primary_key[0]
    touch_list(conn, account_id)
    return Stop(stop_id, account_id, phone_number, created_at, source)


def delete_stop(conn: Connection, account_id: int, stop_id: int) -> None:
    conn.execute(delete(stops).where(stops.c.account_id == account_id, stops.c.id == stop_id))
    touch_list(conn, account_id)


def _filtered(
    query: Any, account_id: int, since: int | None, until: int | None, after: int | None
) -> Any:
    query = query.where(stops.c.account_id == account_id)
    if since is not None:
        query = query.where(stops.c.created_at >= since)
    if until is not None:
        query = query.where(stops.c.created_at < until)
    if after is not None:
        query = query.where(stops.c.id > after)
    return query


def count(
    conn: Connection,
    account_id: int,
    *,
    since: int | None = None,
    until: int | None = None,
    after: int | None = None,
) -> int:
    query = _filtered(select(func.count()).select_from(stops), account_id, since, until, after)
    return conn.execute(query).scalar_one()


def iter_batches(
    conn: Connection,
    account_id: int,
    *,
    since: int | None = None,
    until: int | None = None,
    after: int | None = None,
    limit: int | None = None,
    through: int | None = None,
    batch_size: int = 5000,
    with_source: bool = False,
    with_value: bool = False,
) -> Iterator[list[StopRow]]:
    """Stream ``(id, phone_number, created_at)`` rows in id order, a batch at a time.

    ``through`` is the highest id wanted. ``with_source`` adds the ``source``
    column (for exports), ``with_value`` the number's digits as an integer
    (see ``domain.number_arrays``; SQLite only). A server-side
    cursor on PostgreSQL and SQLite's own stepping keep memory flat however
    long the list is. Batches are the driver's own tuples: at a million rows,
    building a SQLAlchemy ``Row`` for each costs more than the query.
    """
    columns = [stops.c.id, stops.c.phone_number, stops.c.created_at]
    if with_source:
        columns.append(stops.c.source)
    if with_value:
        columns.append(literal_column("CAST(substr(phone_number, 2) AS INTEGER)"))
    query = _filtered(
        select(*columns),
        account_id,
        since,
        until,
        after,
    ).order_by(stops.c.id)
    if through is not None:
        query = query.where(stops.c.id <= through)
    if limit is not None:
        query = query.limit(limit)
    # Every bound value is an integer we produced, so inlining them is safe.
    sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    conn.exec_driver_sql("SELECT 1")  # make sure the transaction (and snapshot) is open
    driver = conn.connection.driver_connection
    assert driver is not None
    if conn.dialect.name == "sqlite":
        cursor = driver.cursor()
    else:
        cursor = driver.cursor(name=f"stoplist_list_{uuid.uuid4().hex}")  # server-side
    try:
        cursor.execute(sql)
        while batch := cursor.fetchmany(batch_size):
            yield batch
    finally:
        cursor.close()


def update_created_at(conn: Connection, account_id: int, stop_id: int, created_at: int) -> None:
    conn.execute(
        update(stops)
        .where(stops.c.account_id == account_id, stops.c.id == stop_id)
        .values(created_at=created_at)
    )
    touch_list(conn, account_id)


_LIST_VERSION = "SELECT list_version FROM accounts WHERE id = ?"


def touch_list(conn: Connection, account_id: int) -> None:
    """Give the account's list a new version, in the transaction that changes its stops.

    Only on SQLite: there writers take turns, so a version names exactly one
    state of the list and a rendering made at that version stays right until
    it moves. On PostgreSQL concurrent writers would queue on the account's
    row for it, so the version is not kept there (``list_version`` is None).
    A version is a random 63-bit number rather than a count, so one seen
    once never names another state, even after the database is restored
    from a backup or another one takes its place.
    """
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(
            "UPDATE accounts SET list_version = random() & 9223372036854775807 WHERE id = ?",
            (account_id,),
        )


def list_version(conn: Connection, account_id: int) -> int | None:
    """The version of the account's list as this transaction sees it (SQLite only)."""
    if conn.dialect.name != "sqlite":
        return None
    return conn.exec_driver_sql(_LIST_VERSION, (account_id,)).scalar_one()


def current_list_version(db: Database, account_id: int) -> int | None:
    """``list_version`` as a read of its own (see ``Database.fetch_one``)."""
    if not db.is_sqlite:
        return None
    row = db.fetch_one(_LIST_VERSION, (account_id,))
    return row[0] if row else None


def iter_number_values(
    conn: Connection, account_id: int, batch_size: int = 50_000
) -> Iterator[list[tuple[int, int]]]:
    """``(digits of the number as an integer, stop id)`` for every stop, in batches.

    SQLite turns ``+33612345678`` into ``33612345678`` itself, which spares a
    Python string and its conversion per row; the rows are the driver's own
    tuples, as in ``iter_batches``.
    """
    conn.exec_driver_sql("SELECT 1")  # make sure the transaction (and snapshot) is open
    driver = conn.connection.driver_connection
    assert driver is not None
    cursor = driver.cursor()
    try:
        cursor.execute(
            "SELECT CAST(substr(phone_number, 2) AS INTEGER), id FROM stops WHERE account_id = ?",
            (account_id,),
        )
        while batch := cursor.fetchmany(batch_size):
            yield batch
    finally:
        cursor.close()


Watermark = tuple[int, int]
"""``(id, received_at)`` of the newest event a view had seen: a point in one database's history.

The ``received_at`` (microseconds) tells this database's event of that id
from another's, after a restore from a backup or with another database file.
"""


def watermark(conn: Connection) -> Watermark:
    row = conn.exec_driver_sql(
        "SELECT id, received_at FROM events ORDER BY id DESC LIMIT 1"
    ).first()
    return (row[0], row[1]) if row is not None else (0, 0)


def in_history(conn: Connection, mark: Watermark) -> bool:
    """Whether ``mark`` is a point of this database's history (never for an empty one)."""
    event_id, received_at = mark
    row = conn.exec_driver_sql("SELECT received_at FROM events WHERE id = ?", (event_id,)).first()
    return row is not None and row[0] == received_at


def numbers_changed_since(
    conn: Connection, account_id: int, mark: Watermark
) -> tuple[list[str], Watermark]:
    """Numbers with an event after ``mark``, and the watermark now.

    Every change to a stop is recorded with an event in the same transaction,
    and on SQLite event ids are handed out in commit order (one writer at a
    time, never reused), so these are all the numbers whose entry may have
    changed since a view that had seen events up to ``mark`` (which the
    caller has checked is ``in_history``).
    """
    now = watermark(conn)
    rows = conn.exec_driver_sql(
        # The unary + keeps SQLite on the id range rather than every event of the account.
        "SELECT DISTINCT phone_number FROM events WHERE id > ? AND id <= ? AND +account_id = ?",
        (mark[0], now[0], account_id),
    )
    return [row[0] for row in rows], now
