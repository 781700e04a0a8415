"""Why a database cannot be opened, in one line a person can act on.

The drivers' own errors are accurate but long (a SQLAlchemy wrapper around a
psycopg or sqlite3 message, a link, a traceback); an operator who mistyped a
URL needs the URL (password masked), the likely cause and what to check.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from sqlalchemy.engine import make_url

from stoplist.database_url import masked_url


def sqlite_path(url: str) -> Path | None:
    """The file a SQLite URL names (None for other databases and in-memory ones)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def precheck(url: str) -> str | None:
    """A problem visible before connecting (SQLite files only), or None.

    SQLite itself says only "unable to open database file" for a missing
    directory, and a read-only file is only noticed at the first write.
    """
    path = sqlite_path(url)
    if path is None:
        return None
    directory = path.parent
    if not directory.is_dir():
        return f"the directory {directory} does not exist: create it or fix the path"
    if path.exists() and not path.is_file():
        return f"{path} is not a file"
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        return f"{path} is read-only for this user: stoplist must be able to write it"
    if not os.access(directory, os.W_OK | os.X_OK):
        return (
            f"the directory {directory} is read-only for this user: SQLite writes its "
            "journal files beside the database"
        )
    return None


def explain(url: str, error: BaseException) -> str:
    """One line: the database (password masked) and the likely cause of ``error``."""
    return f"cannot open the database {where(url)}: {cause(url, error)}"


def where(url: str) -> str:
    path = sqlite_path(url)
    return str(path) if path is not None else masked_url(url)


def cause(url: str, error: BaseException) -> str:
    text = _driver_message(error)
    path = sqlite_path(url)
    if path is not None:
        return _sqlite_cause(path, text)
    parsed = make_url(url)
    server = f"{parsed.host or 'localhost'} port {parsed.port or 5432}"
    found = re.search(r'role "([^"]*)" does not exist', text)
    if found:
        return f'PostgreSQL at {server} has no role "{found[1]}": check the user in the URL'
    found = re.search(r'database "([^"]*)" does not exist', text)
    if found:
        return (
            f'PostgreSQL at {server} has no database "{found[1]}": '
            "create it (createdb) or check the name in the URL"
        )
    if "password authentication failed" in text or "no password supplied" in text:
        return f"PostgreSQL at {server} refused the password for user {parsed.username!r}"
    if "Connection refused" in text:
        return f"nothing is listening at {server}: is PostgreSQL running there, on that port?"
    if "resolve host" in text or "translate host name" in text:
        return f"the host name {parsed.host!r} cannot be resolved: check the host in the URL"
    if "timeout expired" in text or "timed out" in text:
        return f"no answer from {server}: check the host, the port and any firewall"
    if "invalid port" in text:
        return "the port in the URL is not a valid port number"
    if "pg_hba.conf" in text:
        return f"PostgreSQL at {server} does not allow this connection (see its pg_hba.conf)"
    return text


def _sqlite_cause(path: Path, text: str) -> str:
    if "file is not a database" in text:
        return f"{path} is not a SQLite database (wrong file?)"
    if "readonly" in text or "read-only" in text:
        return f"{path} is read-only: stoplist must be able to write it and its directory"
    if "unable to open" in text:
        return precheck(f"sqlite:///{path}") or f"SQLite cannot open {path}: check permissions"
    if "disk I/O error" in text:
        return f"SQLite cannot read or write {path} (disk I/O error)"
    return text


def _driver_message(error: BaseException) -> str:
    """The driver's message, first line, without SQLAlchemy's wrapper and link."""
    inner = getattr(error, "orig", None) or error
    text = str(inner).strip()
    text = re.sub(r"^connection failed: ", "", text)
    text = re.sub(r'^connection to server at "[^"]*", port \d+ failed: ', "", text)
    text = re.sub(r"^FATAL:\s+", "", text)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__
