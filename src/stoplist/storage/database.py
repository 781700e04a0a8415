"""Connections and transactions, the same way on SQLite and PostgreSQL.

Writers on SQLite take the database lock when their transaction begins
(``BEGIN IMMEDIATE``) so that two processes never both read "absent" and then
both insert; on PostgreSQL the same guarantee comes from a lock on the
account's row (``lock_list``) plus unique constraints.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import StaticPool

from stoplist.database_url import normalise_url
from stoplist.storage import owner_only, secrets

HEAD_REVISION = "0015"
"""The newest migration (``tests/storage/test_migrations.py`` holds it to the scripts)."""
_BULK_CACHE_KIB = 8 * 1024
_BULK_TEMP_CACHE_KIB = 8 * 1024


_CONNECT_TIMEOUT = 5
_BUSY_TIMEOUT_MS = 30_000
"""How long a SQLite writer waits for the writer lock unless told otherwise."""
_SQLITE_REOPEN = {8, 10, 11, 14, 26}
"""SQLITE_READONLY, SQLITE_IOERR, SQLITE_CORRUPT, SQLITE_CANTOPEN, SQLITE_NOTADB."""


class Database:
    """One stoplist database: an engine plus the transaction rules above."""

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 8,
        max_overflow: int = 32,
        secrets_key_file: Path | None = None,
        prepared_statements: bool = True,
    ) -> None:
        self.url = normalise_url(url)
        self.prepared_statements = prepared_statements
        """PostgreSQL: whether psycopg prepares statements it runs often (a pooler in
        transaction mode before PgBouncer 1.21 loses them between transactions)."""
        self.engine = _create_engine(
            self.url,
            pool_size=pool_size,
            max_overflow=max_overflow,
            prepared_statements=prepared_statements,
        )
        secrets.configure(self.engine, secrets_key_file)
        self.dialect = self.engine.dialect.name

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @contextmanager
    def read(self, *, snapshot: bool = False) -> Iterator[Connection]:
        """A read-only transaction; ``snapshot`` keeps one view across queries."""
        options: dict[str, Any] = {}
        if snapshot and not self.is_sqlite:
            options["isolation_level"] = "REPEATABLE READ"
        with self.engine.connect().execution_options(**options) as conn, conn.begin():
            yield conn

    @contextmanager
    def write(self, *, lock_wait: float | None = None) -> Iterator[Connection]:
        """A read-write transaction, committed when the block ends without error.

        ``lock_wait`` bounds, in seconds, how long the transaction waits for a
        lock another writer holds (SQLite's writer lock, taken as it begins;
        on PostgreSQL each row lock it asks for, as ``lock_timeout``, which
        counts each wait apart: a writer queued behind another waiter of the
        same row may wait twice the bound); past it the database's "locked"
        error is raised (``observability.database_errors``). By default a
        writer waits as long as the connection's timeout allows.
        """
        options: dict[str, Any] = {"stoplist_write": True}
        if lock_wait is not None and self.is_sqlite:
            options["stoplist_lock_wait_ms"] = _milliseconds(lock_wait)
        with self.engine.connect().execution_options(**options) as conn, conn.begin():
            if lock_wait is not None and not self.is_sqlite:
                # SET LOCAL ends with the transaction, so a pooler's next client never sees it.
                conn.exec_driver_sql(f"SET LOCAL lock_timeout = {_milliseconds(lock_wait)}")
            yield conn

    @contextmanager
    def bulk_connection(self) -> Iterator[Connection]:
        """A connection for one bulk import, discarded when the block ends.

        On SQLite the connection's page caches are enlarged for it, because
        a million numbers make index pages all over the file dirty, but they
        stay bounded (``_BULK_CACHE_KIB`` for the database,
        ``_BULK_TEMP_CACHE_KIB`` for the import's staging table): past them
        SQLite writes pages out before the commit instead of holding them,
        so memory does not grow with the file (8 MB each: larger caches were
        no quicker, since every index takes the import's rows in order, and
        cost an import's peak memory 32 MB more). The connection is discarded
        afterwards so that its caches and its staging table do not stay.
        Open its transactions with ``transaction``.
        """
        conn = self.engine.connect()
        try:
            if self.is_sqlite:
                conn.exec_driver_sql(f"PRAGMA main.cache_size = -{_BULK_CACHE_KIB}")
                conn.exec_driver_sql(f"PRAGMA temp.cache_size = -{_BULK_TEMP_CACHE_KIB}")
                conn.commit()
            yield conn
        finally:
            if self.is_sqlite:
                conn.invalidate()
            conn.close()

    @contextmanager
    def transaction(self, conn: Connection, *, write: bool) -> Iterator[Connection]:
        """One transaction on ``conn`` (a ``bulk_connection``), committed when the block ends.

        ``write=False`` on SQLite begins without the database's writer lock: such
        a transaction may read, and write temporary tables (an import's
        staging table), while other writers go on. A writer begins with the
        lock (``BEGIN IMMEDIATE``), as ``write`` does.
        """
        conn.execution_options(stoplist_write=write)
        with conn.begin():
            yield conn

    def lock_list(self, conn: Connection, account_id: int) -> None:
        """Serialise the writers of one account's stops until the transaction ends.

        SQLite's ``BEGIN IMMEDIATE`` already lets one writer in at a time. On
        PostgreSQL the account's row is locked (``FOR NO KEY UPDATE``, which
        leaves rows that merely refer to the account free to be written): two
        writers never both read "absent" and both insert, and an account's
        stop changes commit one at a time, in the order their events were
        numbered, which is what lets a view of the list learn exactly what
        changed since (``storage.stops.touch_list``). Take it before reading.
        Waiters queue in order; ``write(lock_wait=...)`` bounds the wait.
        """
        if self.is_sqlite:
            return
        conn.exec_driver_sql(
            "SELECT 1 FROM accounts WHERE id = %s FOR NO KEY UPDATE", (account_id,)
        )

    def fetch_one(self, sql: str, params: tuple[Any, ...]) -> tuple[Any, ...] | None:
        """The first row of one read-only statement, in a short transaction of its own.

        ``sql`` uses ``?`` for its parameters, whatever the database. The
        reads every API call makes go through ``storage.check_reads`` instead.
        """
        with self.engine.connect() as conn:
            marked = sql if self.is_sqlite else sql.replace("?", "%s")
            row = conn.exec_driver_sql(marked, params).first()
            return tuple(row) if row is not None else None

    def dispose(self) -> None:
        self.engine.dispose()

    def migrate(self) -> bool:
        """Create or upgrade the schema to the latest migration, and load the secrets key.

        A schema already at ``HEAD_REVISION`` is told by one query, without
        loading Alembic: that saves every command a tenth of a second.
        True when there was no schema: this call started a new database (the
        command line says so, since a wrong working directory or URL starts
        one where the operator did not mean to).
        """
        revision = self._revision()
        if revision != HEAD_REVISION:
            from stoplist.storage.migrate import upgrade

            upgrade(self)
        secrets.box(self.engine)  # a missing or wrong secrets key stops the process here
        return revision is None

    def _revision(self) -> str | None:
        try:
            with self.engine.connect() as conn:
                return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        except DBAPIError:  # no such table yet
            return None


def _milliseconds(seconds: float) -> int:
    return max(1, round(seconds * 1000))


def _create_engine(
    url: str, *, pool_size: int, max_overflow: int, prepared_statements: bool = True
) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        connect_args = postgres_connect_args(parsed.query)
        if not prepared_statements:
            connect_args["prepare_threshold"] = None
        return create_engine(
            url,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_pre_ping=True,
            hide_parameters=True,
            connect_args=connect_args,
        )
    if parsed.database in (None, "", ":memory:"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False},
            poolclass=StaticPool,
            hide_parameters=True,
        )
    else:
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=pool_size,
            max_overflow=max_overflow,
            hide_parameters=True,
        )
        if not parsed.query.get("uri"):
            _create_owner_only(engine, parsed.database)
    _configure_sqlite(engine, wal=parsed.database not in (None, "", ":memory:"))
    return engine


def postgres_connect_args(query: Any) -> dict[str, Any]:
    """A server that does not answer fails a connection in seconds, not minutes.

    Errors then reach clients as 503s while the database is away (a URL's
    own ``connect_timeout`` wins).
    """
    return {} if "connect_timeout" in query else {"connect_timeout": _CONNECT_TIMEOUT}


def _create_owner_only(engine: Engine, path: str) -> None:
    """Make a missing database file, readable by its owner only, just before SQLite opens it.

    SQLite would make it with the umask's mode (0644 as a rule), and it
    holds phone numbers, message texts and key digests; SQLite gives the
    ``-wal`` and ``-shm`` files it makes the mode of the database file. The
    file is made where SQLite would have made it, at the first connection,
    so a database that is never connected to is never created.
    """

    @event.listens_for(engine, "do_connect")
    def _on_do_connect(*_args: Any) -> None:
        # There already, or it cannot be made: SQLite opens it, or says why not.
        with contextlib.suppress(OSError):
            owner_only.create_file(path)


def _configure_sqlite(engine: Engine, *, wal: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        if wal:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "handle_error")
    def _on_error(context: ExceptionContext) -> None:
        # A connection opened while the file could not be written stays
        # read-only for good; one that met an I/O error may hold a stale view.
        # Treated as disconnects, they are replaced, so writes work again as
        # soon as the file does, without a restart.
        code = getattr(context.original_exception, "sqlite_errorcode", None)
        if isinstance(code, int) and code & 0xFF in _SQLITE_REOPEN:
            context.is_disconnect = True

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        options = conn.get_execution_options()
        if not options.get("stoplist_write", False):
            conn.exec_driver_sql("BEGIN")
            return
        wait = options.get("stoplist_lock_wait_ms")
        if wait is None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            return
        # The writer lock is taken here, or never: with it held, nothing else waits.
        conn.exec_driver_sql(f"PRAGMA busy_timeout={int(wait)}")
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        finally:
            conn.exec_driver_sql(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
