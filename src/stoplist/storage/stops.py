"""SQL for the stops table: the numbers currently on each account's list."""

from __future__ import annotations

import uuid
from collections.abc import Generator, Iterator
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    delete,
    func,
    insert,
    literal_column,
    select,
    update,
)

from stoplist.records.models import Stop
from stoplist.storage.database import Database
from stoplist.storage.driver_sql import driver_sql
from stoplist.storage.schema import inserted_id, stops

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
    row = conn.exec_driver_sql(driver_sql(conn, _NUMBER_LOOKUP), (account_id, phone_number)).first()
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
    stop_id = inserted_id(
        conn.execute(
            insert(stops).values(
                account_id=account_id,
                phone_number=phone_number,
                created_at=created_at,
                source=source,
                event_id=event_id,
            )
        )
    )
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
    return int(conn.execute(query).scalar_one())


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
) -> Generator[list[StopRow], None, None]:
    """Stream ``(id, phone_number, created_at)`` rows in id order, a batch at a time.

    ``through`` is the highest id wanted. ``with_source`` adds the ``source``
    column (for exports), ``with_value`` the number's digits as an integer
    (see ``domain.number_arrays``). A server-side
    cursor on PostgreSQL and SQLite's own stepping keep memory flat however
    long the list is. Batches are the driver's own tuples: at a million rows,
    building a SQLAlchemy ``Row`` for each costs more than the query.
    """
    columns: list[ColumnElement[Any]] = [stops.c.id, stops.c.phone_number, stops.c.created_at]
    if with_source:
        columns.append(stops.c.source)
    if with_value:
        columns.append(literal_column(_NUMBER_VALUE))
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

    The caller holds the account's write lock (``Database.lock_list``), so
    an account's stop changes commit one at a time, and has recorded the
    change's event: the account row also keeps the id of that newest event
    (see ``watermark``). A version is a random 63-bit number rather than a
    count, so one seen once never names another state of the list, even
    after the database is restored from a backup or another one takes its
    place. A rendering made at a version stays right while it is current.
    """
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(
            "UPDATE accounts SET list_version = random() & 9223372036854775807, "
            "list_event_id = (SELECT max(id) FROM events) WHERE id = ?",
            (account_id,),
        )
        return
    conn.exec_driver_sql(
        "UPDATE accounts SET list_version = (random() * 4e18)::bigint, list_event_id = "
        # account_id + 0: walk back from the newest event (ours) rather than the account's index
        "(SELECT id FROM events WHERE account_id + 0 = %s ORDER BY id DESC LIMIT 1) "
        "WHERE id = %s",
        (account_id, account_id),
    )


def list_version(conn: Connection, account_id: int) -> int:
    """The version of the account's list as this transaction sees it."""
    return int(conn.exec_driver_sql(driver_sql(conn, _LIST_VERSION), (account_id,)).scalar_one())


def current_list_version(db: Database, account_id: int) -> int | None:
    """``list_version`` as a read of its own; None: no account."""
    row = db.fetch_one(_LIST_VERSION, (account_id,))
    return row[0] if row else None


_NUMBER_VALUE = "CAST(substr(phone_number, 2) AS BIGINT)"


def iter_number_values(
    conn: Connection, account_id: int, batch_size: int = 50_000
) -> Iterator[list[tuple[int, int]]]:
    """``(digits of the number as an integer, stop id)`` for every stop, in batches.

    The database turns ``+33612345678`` into ``33612345678`` itself, which
    spares a Python string and its conversion per row; the rows are the
    driver's own tuples, as in ``iter_batches``.
    """
    conn.exec_driver_sql("SELECT 1")  # make sure the transaction (and snapshot) is open
    driver = conn.connection.driver_connection
    assert driver is not None
    sqlite = conn.dialect.name == "sqlite"
    cursor = driver.cursor() if sqlite else driver.cursor(name=f"stoplist_ids_{uuid.uuid4().hex}")
    try:
        cursor.execute(
            driver_sql(conn, f"SELECT {_NUMBER_VALUE}, id FROM stops WHERE account_id = ?"),
            (account_id,),
        )
        while batch := cursor.fetchmany(batch_size):
            yield batch
    finally:
        cursor.close()


Watermark = tuple[int, int]
"""``(id, received_at)`` of an event: a point in one database's history.

A list's watermark is the newest event of its latest change. Changes commit
one at a time per account and number their events as they go, so every
change committed after a view has events with greater ids than the view's
watermark. The ``received_at`` (microseconds) tells this database's event of
that id from another's, after a restore from a backup or with another
database file.
"""


def watermark(conn: Connection, account_id: int) -> Watermark | None:
    """The list's watermark as this transaction sees it; None if it never changed."""
    row = conn.exec_driver_sql(
        driver_sql(
            conn,
            "SELECT e.id, e.received_at FROM accounts a JOIN events e ON e.id = a.list_event_id "
            "WHERE a.id = ?",
        ),
        (account_id,),
    ).first()
    return (row[0], row[1]) if row is not None else None


def in_history(conn: Connection, mark: Watermark) -> bool:
    """Whether ``mark`` is a point of this database's history."""
    event_id, received_at = mark
    row = conn.exec_driver_sql(
        driver_sql(conn, "SELECT received_at FROM events WHERE id = ?"), (event_id,)
    ).first()
    return row is not None and row[0] == received_at


def numbers_changed_since(
    conn: Connection, account_id: int, mark: Watermark
) -> tuple[list[str], Watermark]:
    """Numbers with an event after ``mark`` up to the list's watermark now, and that watermark.

    These are all the numbers whose entry may have changed since a view at
    ``mark`` (which the caller has checked is ``in_history``); events of the
    whole account (``ACCOUNT_WIDE``) change no entry.
    """
    now = watermark(conn, account_id) or mark
    rows = conn.exec_driver_sql(
        # The account's index would read every event of the account: stay on the id range.
        driver_sql(
            conn,
            "SELECT DISTINCT phone_number FROM events "
            "WHERE id > ? AND id <= ? AND account_id + 0 = ? AND phone_number <> ''",
        ),
        (mark[0], now[0], account_id),
    )
    return [row[0] for row in rows], now
