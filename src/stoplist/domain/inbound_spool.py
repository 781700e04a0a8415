"""Inbound messages that wait on disk while the list's lock is held too long.

A provider waits a few seconds for its answer (Twilio gives up after 15)
and may never send the message again. Meanwhile an import holds the
account's list while it writes what it staged (on SQLite, the database's
one writer lock): seconds for a million numbers, more on a loaded machine,
so an inbound STOP could wait past the provider's patience or the
database's own timeout, and be lost.

So a message whose writing cannot begin within ``lock_wait`` is put in the
spool (``storage.spool``: on disk, synced, before anyone is answered) and
answered ``spooled``; the server's drainer records it as soon as the lock
is free, with the time it reached us. Its event then takes its place in the
number's history as if written at once: a number's state follows its events
by their time, so a START that came after a spooled STOP still wins, and a
STOP before it still counts. A message recorded twice (a process dying
between its commit and the spool's removal) is a duplicate by its provider
message id, as when a provider delivers it twice; one that came without an
id is given ``spool:<uuid>`` when it is spooled, so that holds for it too.
Each record names its database (``DATABASE_ID_SETTING``): a directory
that two databases were pointed at by mistake never hands one's messages to
the other. A spool that cannot be written (a full or read-only disk) is no
worse than none: the message waits for the lock, as it did before spools.

Only a held lock sends a message to the spool. A database that is down
answers 503 as before: the account and its signature secret cannot be read
then, and a provider that sees the error knows the message did not land.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy.exc import DBAPIError

from stoplist.domain import clock, retention
from stoplist.domain.errors import StoplistError
from stoplist.domain.inbound import Inbound, InboundMessage, Outcome, Part
from stoplist.domain.stops import StopList
from stoplist.observability.database_errors import failure_kind
from stoplist.records.events import EventKind
from stoplist.records.models import Account
from stoplist.storage import accounts as account_store
from stoplist.storage import dashboard as settings_store
from stoplist.storage.database import Database
from stoplist.storage.held_opt_outs import HeldOptOuts, held_opt_outs_for
from stoplist.storage.spool import SetAside, Spool

logger = logging.getLogger("stoplist.inbound")

DEFAULT_LOCK_WAIT = 5.0
"""Seconds a message waits for the list's lock before it is spooled."""
_TIDY_HOLDS_SECONDS = 60.0
_FORMAT = 1
DATABASE_ID_SETTING = "database_id"
"""The random name migration 0012 gave the database (a restored copy keeps it), which every
spooled record carries."""
SPOOL_ID_PREFIX = "spool:"
"""The id a spooled message that came without one is recorded with."""


class InboundSpool:
    """Receiving messages with a bounded wait, and recording those that had to wait."""

    def __init__(
        self,
        db: Database,
        spool: Spool,
        lock_wait: float = DEFAULT_LOCK_WAIT,
        held: HeldOptOuts | None = None,
    ) -> None:
        self.db = db
        self.spool = spool
        self.lock_wait = lock_wait
        self.held = held or held_opt_outs_for(db, spool.directory)
        self._tidied_holds = 0.0
        self._database: str | None = None
        self._foreign: set[str] = set()
        self._troubled: set[str] = set()

    @property
    def database(self) -> str:
        """This database's id, read when first needed (a worker starts without the database)."""
        if self._database is None:
            with self.db.read() as conn:
                found = settings_store.setting(conn, DATABASE_ID_SETTING)
            if found is None:
                raise LookupError(f"the database has no {DATABASE_ID_SETTING} (migration 0012)")
            self._database = found
        return self._database

    def receive(self, account: Account, message: InboundMessage) -> Outcome:
        """Record ``message`` now, or keep it in the spool if the list stays locked.

        Either way it is safe when this returns: committed, or on disk.
        """
        message = replace(message, received_at=clock.now_us())
        inbound = Inbound(self.db, account)
        try:
            return inbound.receive(message, lock_wait=self.lock_wait)
        except DBAPIError as error:
            if failure_kind(error) != "locked":
                raise
        number = inbound.stop_list.normalize_sender(message.sender)
        kept = replace(
            message, message_id=message.message_id or f"{SPOOL_ID_PREFIX}{uuid.uuid4().hex}"
        )
        name = self.spool.new_name()
        # Held before the record exists, so that no drainer can record it before the hold.
        held = inbound.expects_opt_out(message)
        try:
            if held:
                self.held.hold(account.id, number, name)
            self.spool.put(_encode(self.database, account.id, kept), name)
        except OSError as error:
            if held:
                self.held.released(name)
            logger.error(
                "cannot spool an inbound message (%s); it waits for its list instead",
                error.strerror or error,
            )
            return inbound.receive(message)
        logger.warning(
            "inbound message for account %d spooled: the list stayed locked for %.1f s",
            account.id,
            self.lock_wait,
        )
        return Outcome(number, None, None, spooled=True)

    def drain(self) -> int:
        """Record the waiting messages, oldest first; returns how many were recorded.

        A message whose list is still locked waits for the next call, and so
        do the later ones of its account; the other accounts' go on, except
        on SQLite, whose one writer lock is every account's. With the
        database away, the whole call stops there. One that can never be
        recorded (its account is gone, its file unreadable, an error no retry
        would mend) is set aside, logged, and counted by ``/metrics``, so that
        it does not hold up the messages behind it.
        """
        recorded = 0
        locked: set[int] = set()
        self._tidy_holds()
        for name in self.spool.names():
            if name in self._foreign:
                continue  # another database's: it never becomes this one's
            try:
                with self.spool.take(name) as record:
                    if record is None:
                        raise _Later()
                    recorded += self._record(name, record, locked)
            except _Later:
                if self.db.is_sqlite and locked:
                    break  # one writer lock for every account: none would go through
                continue
            except DBAPIError as error:
                if failure_kind(error) is not None:
                    break  # the database is away: nothing else would go through either
                self._set_aside(name, error)
            except Exception as error:
                if name not in self._troubled:  # told once, not at every round
                    logger.exception("recording the spooled inbound message %s failed", name)
                self._set_aside(name, error)
        return recorded

    def _tidy_holds(self) -> None:
        """Now and then, drop this node's holds whose record is gone (see ``held_opt_outs``)."""
        if time.monotonic() - self._tidied_holds < _TIDY_HOLDS_SECONDS:
            return
        self._tidied_holds = time.monotonic()
        waiting = set(self.spool.names())
        waiting.update(item.name for item in self.spool.set_aside_records())
        self.held.tidy(waiting)

    def tidy(self, now: int | None = None) -> int:
        """Remove the set-aside records that an erasure or a retention period has reached.

        A record holds a sender's number and what they wrote, as an event
        does, so it goes as an event's would: when that number is erased on
        its account, or once the account's retention period has passed since
        it arrived. One that names no account of this database (unreadable,
        another database's, its account deleted since) goes after the
        default period, counted from when it was set aside. Returns how many
        were removed.
        """
        now = clock.now_us() if now is None else now
        removed = 0
        for item in self.spool.set_aside_records():
            reason = self._spent(item, now)
            if reason is None:
                continue
            try:
                self.spool.discard_set_aside(item.name)
            except OSError as error:  # a directory named like a record: the rest go on
                if item.name not in self._troubled:
                    logger.error("cannot remove %s from set-aside: %s", item.name, error)
                    self._troubled.add(item.name)
                continue
            logger.info("set-aside inbound message %s removed: %s", item.name, reason)
            removed += 1
        return removed

    def _spent(self, item: SetAside, now: int) -> str | None:
        """Why the record ``item`` should go now, or None while it is kept."""
        written = item.written_ns // 1000
        unclaimed = (
            "it names no account of this database and was kept the default retention period"
            if written < retention.period_start(retention.DEFAULT_DAYS, now)
            else None
        )
        try:
            database, account_id, message = _decode(item.record or b"")
        except (ValueError, KeyError, TypeError):
            return unclaimed
        account = None
        if database == self.database:
            with self.db.read() as conn:
                account = account_store.find_by_id(conn, account_id)
        if account is None:
            return unclaimed
        arrived = message.received_at if message.received_at is not None else written
        days = retention.Retention(self.db, account).days()
        if arrived < retention.period_start(days, now):
            return "past its account's retention period"
        try:
            stop_list = StopList(self.db, account)
            erased = stop_list.erased(stop_list.normalize_sender(message.sender)) is not None
        except StoplistError:  # the number does not read in the account's region
            return None
        return "its number was erased" if erased else None

    def _is_foreign(self, name: str, database: str) -> bool:
        """Whether a record of ``database`` belongs to another one (it stays, for that one's
        server)."""
        if database == self.database:
            return False
        if name not in self._foreign:
            self._foreign.add(name)
            logger.error(
                "the inbound spool %s holds %s, a message of another database: "
                "give each database its own STOPLIST_INBOUND_SPOOL_DIR",
                self.spool.directory,
                name,
            )
        return True

    def _record(self, name: str, record: bytes, locked: set[int]) -> bool:
        """Whether ``record`` was recorded (else it was set aside); raises ``_Later``
        when its list is locked or it is another database's, leaving it in place."""
        try:
            database, account_id, message = _decode(record)
        except (ValueError, KeyError, TypeError) as error:
            self._set_aside(name, error)
            return False
        if self._is_foreign(name, database) or account_id in locked:
            raise _Later()
        with self.db.read() as conn:
            account = account_store.find_by_id(conn, account_id)
        if account is None:
            self._set_aside(name, LookupError(f"account {account_id} no longer exists"))
            return False
        try:
            Inbound(self.db, account).receive(
                message,
                lock_wait=self.lock_wait,
                answered=False,
                also=lambda conn: self.held.release_in(conn, name),
            )
        except StoplistError as error:  # its region changed: the number no longer reads
            self._set_aside(name, error)
            return False
        except DBAPIError as error:
            if failure_kind(error) == "locked":
                locked.add(account_id)
                raise _Later() from error
            raise
        self.held.released(name)
        return True

    def _set_aside(self, name: str, error: BaseException) -> None:
        try:
            where = self.spool.set_aside(name)
        except FileNotFoundError:
            return
        except OSError as failure:
            if name not in self._troubled:
                logger.error(
                    "spooled inbound message %s failed (%s) and cannot be set aside: %s",
                    name,
                    _described(error),
                    failure.strerror or failure,
                )
                self._troubled.add(name)
            return
        logger.error("spooled inbound message set aside in %s: %s", where, _described(error))


class _Later(Exception):
    """The message's list is still locked: it stays in the spool for the next round."""


def _described(error: BaseException) -> str:
    return type(error).__name__ if isinstance(error, DBAPIError) else str(error)


def _encode(database: str, account_id: int, message: InboundMessage) -> bytes:
    part = message.part
    return orjson.dumps(
        {
            "format": _FORMAT,
            "database": database,
            "account": account_id,
            "provider": message.provider,
            "sender": message.sender,
            "text": message.text,
            "recipient": message.recipient,
            "messageId": message.message_id,
            "sentAt": message.sent_at,
            "sentAtRaw": message.sent_at_raw,
            "forced": message.forced.value if message.forced else None,
            "part": None if part is None else [part.ref, part.number, part.total],
            "signatureVerified": message.signature_verified,
            "receivedAt": message.received_at,
        }
    )


def _decode(record: bytes) -> tuple[str, int, InboundMessage]:
    """The record's database, account and message; ``ValueError`` (or ``KeyError``,
    ``TypeError``) for anything ``_encode`` did not write."""
    data: Any = orjson.loads(record)
    if not isinstance(data, dict) or data.get("format") != _FORMAT:
        raise ValueError("not a spooled inbound message")
    part = data["part"]
    message = InboundMessage(
        provider=str(data["provider"]),
        sender=str(data["sender"]),
        text=str(data["text"]),
        recipient=data["recipient"],
        message_id=data["messageId"],
        sent_at=data["sentAt"],
        sent_at_raw=data["sentAtRaw"],
        forced=EventKind(data["forced"]) if data["forced"] else None,
        part=None if part is None else Part(str(part[0]), int(part[1]), int(part[2])),
        signature_verified=data["signatureVerified"],
        received_at=int(data["receivedAt"]),
    )
    return str(data["database"]), int(data["account"]), message


def spool_directory(db: Database, configured: str | None = None) -> Path | None:
    """In the ``configured`` directory (``off``: no spool), else beside the SQLite file.

    A PostgreSQL database has no file to sit beside: each machine spools
    where it is told to, on a disk that outlives the process.
    """
    configured = (configured or "").strip()
    if configured.lower() == "off":
        return None
    if configured:
        return Path(configured)
    path = db.engine.url.database if db.is_sqlite else None
    if not path or path == ":memory:":
        return None
    return Path(f"{path}-inbound-spool")


def inbound_spool(db: Database, configured: str | None, lock_wait: float) -> InboundSpool | None:
    """The spool the settings name, or None when messages just wait for the lock."""
    directory = spool_directory(db, configured)
    if directory is None:
        return None
    return InboundSpool(db, Spool(directory), lock_wait, held_opt_outs_for(db, directory))


def check_spool(db: Database, configured: str | None) -> Path | None:
    """Make sure the spool's directory can take records (raises ``OSError`` if not).

    Run once as the server starts, so that a wrong path is told there, in one
    line, rather than the first time an import holds a list. Partial records
    left by a process killed while writing one (never acknowledged) go.
    """
    directory = spool_directory(db, configured)
    if directory is not None:
        Spool(directory).check()
    return directory
