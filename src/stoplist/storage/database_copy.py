"""Every row of one stoplist database written into another, ids included.

This is how a team moves from SQLite to PostgreSQL (or back to one
machine): the copy keeps every id the API has handed out (stop ids,
event ids, the hash chain's positions), so clients, webhooks already
delivered and the evidence of every event stay valid. Rows go from one
driver to the other a batch at a time (``COPY`` into PostgreSQL), so memory
does not grow with the database.

The source is held still while it is read: on SQLite by its writer lock
(``BEGIN IMMEDIATE``), on PostgreSQL by a ``SHARE`` lock on every table,
which lets readers through and makes writers wait. Nothing can commit on
the source between the first table read and the last, so the copy is one
state of it. What a server still running writes afterwards is in the
source only: its servers must be stopped first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Connection, Table, func, select

from stoplist.storage.schema import metadata, server_settings

_BATCH = 5_000
_SETTINGS_MADE_BY_MIGRATIONS = frozenset({"database_id", "secrets_key_check"})
"""Rows a new database is given by its migrations and its first use, replaced by the source's."""


class DestinationNotEmpty(Exception):
    """The destination already holds stoplist data: a copy never merges into it."""

    def __init__(self, tables: list[str]) -> None:
        super().__init__(", ".join(tables))
        self.tables = tables


@dataclass(frozen=True, slots=True)
class CopiedTable:
    name: str
    rows: int


def hold_still(conn: Connection) -> None:
    """Keep writers off ``conn``'s database until its transaction ends (see the module).

    On SQLite the transaction must have begun as a writer.
    """
    if conn.dialect.name == "sqlite":
        return
    names = ", ".join(table.name for table in metadata.sorted_tables)
    conn.exec_driver_sql(f"LOCK TABLE {names} IN SHARE MODE")


def tables_with_data(conn: Connection) -> list[str]:
    """The tables of a migrated database that hold anything a copy would overwrite."""
    found = []
    for table in metadata.sorted_tables:
        query = select(func.count()).select_from(table)
        if table is server_settings:
            query = query.where(server_settings.c.name.not_in(_SETTINGS_MADE_BY_MIGRATIONS))
        if conn.execute(query.limit(1)).scalar_one():
            found.append(table.name)
    return found


def copy_rows(
    source: Connection,
    destination: Connection,
    progress: Callable[[str, int], None] | None = None,
) -> list[CopiedTable]:
    """Write every row of ``source`` into ``destination``, parents before children.

    ``destination`` must be migrated and hold no data (``tables_with_data``);
    the settings its migrations made are replaced by the source's, so the
    copy keeps the source's database id and secrets key check. Ids are
    copied as they are, and each table's id counter is set past the
    highest id the source ever gave (a deleted stop's id is not given again).
    ``progress`` hears each table's name and rows so far.
    """
    destination.execute(server_settings.delete())
    copied = []
    for table in metadata.sorted_tables:
        copied.append(CopiedTable(table.name, _copy_table(source, destination, table, progress)))
        _carry_counter(source, destination, table)
    return copied


def row_counts(conn: Connection) -> dict[str, int]:
    """Rows per table, to compare a copy with its source."""
    return {
        table.name: int(conn.execute(select(func.count()).select_from(table)).scalar_one())
        for table in metadata.sorted_tables
    }


def _copy_table(
    source: Connection,
    destination: Connection,
    table: Table,
    progress: Callable[[str, int], None] | None,
) -> int:
    # Straight through the drivers: the values were made storable on both
    # databases when first written (``storage.text``), and the schema's
    # column types would cost more than the copy itself.
    names = ", ".join(column.name for column in table.columns)
    order = ", ".join(column.name for column in table.primary_key.columns)
    rows = source.execution_options(stream_results=True, max_row_buffer=_BATCH).exec_driver_sql(
        f"SELECT {names} FROM {table.name} ORDER BY {order}"
    )
    count = 0
    with _writer(destination, table) as write:
        for batch in rows.partitions(_BATCH):
            write(batch)
            count += len(batch)
            if progress is not None:
                progress(table.name, count)
    return count


@contextmanager
def _writer(
    destination: Connection, table: Table
) -> Iterator[Callable[[Sequence[Sequence[object]]], None]]:
    """Where a batch of rows goes: ``COPY`` on PostgreSQL, one prepared ``INSERT`` on SQLite."""
    names = ", ".join(column.name for column in table.columns)
    if destination.dialect.name == "sqlite":
        marks = ", ".join("?" for _ in table.columns)
        sql = f"INSERT INTO {table.name} ({names}) VALUES ({marks})"

        def insert_batch(batch: Sequence[Sequence[object]]) -> None:
            destination.exec_driver_sql(sql, [tuple(row) for row in batch])

        yield insert_batch
        return
    driver = destination.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor, cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:

        def copy_batch(batch: Sequence[Sequence[object]]) -> None:
            for row in batch:
                copy.write_row(row)

        yield copy_batch


def _carry_counter(source: Connection, destination: Connection, table: Table) -> None:
    column = table.autoincrement_column
    if column is None:
        return
    given = max(_last_given(source, table), _highest(destination, table))
    if destination.dialect.name == "sqlite":
        if given:
            destination.exec_driver_sql("DELETE FROM sqlite_sequence WHERE name = ?", (table.name,))
            destination.exec_driver_sql(
                "INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (table.name, given)
            )
        return
    destination.exec_driver_sql(
        "SELECT setval(pg_get_serial_sequence(%s, %s), %s, %s)",
        (table.name, column.name, max(given, 1), given > 0),
    )


def _last_given(conn: Connection, table: Table) -> int:
    """The highest id the table's counter has handed out, row deleted since or not."""
    column = table.autoincrement_column
    assert column is not None
    if conn.dialect.name == "sqlite":
        found = conn.exec_driver_sql(
            "SELECT seq FROM sqlite_sequence WHERE name = ?", (table.name,)
        ).scalar()
    else:
        sequence = conn.exec_driver_sql(
            "SELECT pg_get_serial_sequence(%s, %s)", (table.name, column.name)
        ).scalar()
        found = None
        if sequence is not None:
            last, called = conn.exec_driver_sql(
                f"SELECT last_value, is_called FROM {sequence}"
            ).one()
            found = last if called else last - 1
    return max(int(found or 0), _highest(conn, table))


def _highest(conn: Connection, table: Table) -> int:
    column = table.autoincrement_column
    assert column is not None
    return int(conn.execute(select(func.coalesce(func.max(column), 0))).scalar_one())
