"""Why a database cannot be opened, as facts a person can act on.

The drivers' own errors are accurate but long (a SQLAlchemy wrapper around a
psycopg or sqlite3 message, a link, a traceback); an operator who mistyped a
URL needs the URL (password masked), the likely cause and what to check. This
module finds the cause and the names involved; the command line words them
in the operator's language (``stoplist.cli.diagnosis``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from enum import Enum
from pathlib import Path

from sqlalchemy.engine import make_url

from stoplist.database_url import masked_url


class Cause(Enum):
    """The likely reason a database cannot be opened."""

    MISSING_DIRECTORY = "missing_directory"
    NO_SUCH_FILE = "no_such_file"
    NO_STOPLIST_SCHEMA = "no_stoplist_schema"
    NOT_A_FILE = "not_a_file"
    READ_ONLY_FILE = "read_only_file"
    READ_ONLY_DIRECTORY = "read_only_directory"
    NOT_A_DATABASE = "not_a_database"
    READ_ONLY = "read_only"
    SQLITE_CANNOT_OPEN = "sqlite_cannot_open"
    DISK_IO = "disk_io"
    NO_ROLE = "no_role"
    NO_DATABASE = "no_database"
    PASSWORD_REFUSED = "password_refused"
    NOTHING_LISTENING = "nothing_listening"
    UNKNOWN_HOST = "unknown_host"
    NO_ANSWER = "no_answer"
    INVALID_PORT = "invalid_port"
    NOT_ALLOWED = "not_allowed"
    OTHER = "other"
    """Not recognised: ``detail`` holds the driver's own first line."""


@dataclass(frozen=True)
class Diagnosis:
    """A database that cannot be opened: where it is, why, and the names involved.

    ``where`` is the SQLite file or the URL with its password masked; ``path``
    is the file or directory the cause is about; ``host`` and ``port`` name
    the PostgreSQL server, ``user`` the URL's user and ``name`` the role or
    database the server does not have.
    """

    cause: Cause
    where: str
    path: str | None = None
    host: str | None = None
    port: int | None = None
    user: str | None = None
    name: str | None = None
    detail: str | None = None


def sqlite_path(url: str) -> Path | None:
    """The file a SQLite URL names (None for other databases and in-memory ones)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def precheck(url: str, *, may_create: bool = True) -> Diagnosis | None:
    """A problem visible before connecting (SQLite files only), or None.

    SQLite itself says only "unable to open database file" for a missing
    directory, and a read-only file is only noticed at the first write.
    Unless ``may_create``, a missing file is a problem too: SQLite would make
    an empty database there, and a command given the wrong path would go on
    as if there were nothing in it.
    """
    path = sqlite_path(url)
    if path is None:
        return None
    directory = path.parent
    if not directory.is_dir():
        return _about(Cause.MISSING_DIRECTORY, path, directory)
    if not may_create and not path.exists():
        return _about(Cause.NO_SUCH_FILE, path, path)
    if path.exists() and not path.is_file():
        return _about(Cause.NOT_A_FILE, path, path)
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        return _about(Cause.READ_ONLY_FILE, path, path)
    if not os.access(directory, os.W_OK | os.X_OK):
        return _about(Cause.READ_ONLY_DIRECTORY, path, directory)
    return None


def diagnose(url: str, error: BaseException) -> Diagnosis:
    """The database (password masked) and the likely cause of ``error``."""
    text = _driver_message(error)
    path = sqlite_path(url)
    if path is not None:
        return _sqlite_cause(path, text)
    parsed = make_url(url)
    server = Diagnosis(
        Cause.OTHER,
        masked_url(url),
        host=parsed.host or "localhost",
        port=parsed.port or 5432,
        user=parsed.username,
        detail=text,
    )
    found = re.search(r'role "([^"]*)" does not exist', text)
    if found:
        return _with(server, Cause.NO_ROLE, name=found[1])
    found = re.search(r'database "([^"]*)" does not exist', text)
    if found:
        return _with(server, Cause.NO_DATABASE, name=found[1])
    if "password authentication failed" in text or "no password supplied" in text:
        return _with(server, Cause.PASSWORD_REFUSED)
    if "Connection refused" in text:
        return _with(server, Cause.NOTHING_LISTENING)
    if "resolve host" in text or "translate host name" in text:
        return replace(_with(server, Cause.UNKNOWN_HOST), host=parsed.host)
    if "timeout expired" in text or "timed out" in text:
        return _with(server, Cause.NO_ANSWER)
    if "invalid port" in text:
        return _with(server, Cause.INVALID_PORT)
    if "pg_hba.conf" in text:
        return _with(server, Cause.NOT_ALLOWED)
    return server


def _about(cause: Cause, database: Path, path: Path) -> Diagnosis:
    return Diagnosis(cause, str(database), path=str(path))


def _with(server: Diagnosis, cause: Cause, name: str | None = None) -> Diagnosis:
    return replace(server, cause=cause, detail=None, name=name)


def _sqlite_cause(path: Path, text: str) -> Diagnosis:
    if "file is not a database" in text:
        return _about(Cause.NOT_A_DATABASE, path, path)
    if "readonly" in text or "read-only" in text:
        return _about(Cause.READ_ONLY, path, path)
    if "unable to open" in text:
        return precheck(f"sqlite:///{path}") or _about(Cause.SQLITE_CANNOT_OPEN, path, path)
    if "disk I/O error" in text:
        return _about(Cause.DISK_IO, path, path)
    return Diagnosis(Cause.OTHER, str(path), path=str(path), detail=text)


def _driver_message(error: BaseException) -> str:
    """The driver's message, first line, without SQLAlchemy's wrapper and link."""
    inner = getattr(error, "orig", None) or error
    text = str(inner).strip()
    text = re.sub(r"^connection failed: ", "", text)
    text = re.sub(r'^connection to server at "[^"]*", port \d+ failed: ', "", text)
    text = re.sub(r"^FATAL:\s+", "", text)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__
