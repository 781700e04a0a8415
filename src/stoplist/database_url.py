"""What a database URL looks like to stoplist: its accepted forms and how it is shown.

The settings check a URL when they are read and storage opens it; both import
these text rules from here, so reading the settings never loads storage.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote_plus

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

SUPPORTED_SCHEMES = ("sqlite", "postgresql+psycopg")
_MASK = "***"
_USER_PASSWORD = re.compile(r"^(?P<start>[^:/?#]+://[^:/?#]*:).*@")
"""The password of a URL's user part: up to the last '@', so none of it shows
when an '@' in it was not written ``%40`` (at worst more than the password is
hidden, never less)."""


def normalise_url(value: str) -> str:
    """A SQLAlchemy URL for ``value``.

    A plain path (anything without ``://``) names a SQLite file. ``postgres://``
    and ``postgresql://`` URLs are pointed at the psycopg 3 driver.
    """
    if "://" not in value:
        return f"sqlite:///{Path(value).expanduser().resolve()}"
    scheme, rest = value.split("://", 1)
    if scheme in ("postgres", "postgresql"):
        return f"postgresql+psycopg://{rest}"
    return value


def check_url(url: str) -> None:
    """``ValueError`` saying why stoplist cannot use ``url`` (a normalised URL).

    Caught when the settings are read, so that a mistake is one line naming
    the setting, not a traceback or a confusing connection error: a port
    that is not a number, an '@' of a password that was not encoded (the
    rest of the password would be taken for the host, and shown as such),
    an in-memory SQLite database (each connection has its own, empty: what a
    command writes is gone when it exits, and a server finds no tables).
    """
    if url.split("://", 1)[0] not in SUPPORTED_SCHEMES:
        raise ValueError("not a database stoplist supports (a SQLite path or postgresql://)")
    try:
        parsed = make_url(url)
        parsed.port  # noqa: B018 - a port that is not a number is refused as the URL is read
    except ValueError:
        raise ValueError("the port in the URL is not a number") from None
    except ArgumentError:
        raise ValueError("not a database URL") from None
    if "@" in (parsed.host or ""):
        raise ValueError(
            "the URL holds more than one '@' before its host: "
            "write an '@' of the user name or password as %40"
        )
    if _in_memory(parsed):
        raise ValueError(
            "an in-memory database keeps nothing: give a SQLite file path or postgresql://"
        )


def masked_url(url: str) -> str:
    """``url`` as it may be shown: its password, in the user part or the query, as ``***``.

    In the query, every parameter whose name, once decoded, holds ``password``
    is masked: libpq's ``password`` (which a URL may give instead of its user
    part, and which ``pass%77ord`` spells too) and the like of ``sslpassword``.
    """
    shown = _USER_PASSWORD.sub(rf"\g<start>{_MASK}@", url, count=1)
    base, question, query = shown.partition("?")
    if not question:
        return shown
    pairs = []
    for pair in query.split("&"):
        name, equals, _value = pair.partition("=")
        secret = equals and "password" in unquote_plus(name).lower()
        pairs.append(f"{name}={_MASK}" if secret else pair)
    return f"{base}?{'&'.join(pairs)}"


def without_password(url: URL) -> URL:
    """``url`` with no password at all, for a command that reads it from elsewhere.

    A masked password (``***``) in a command line would be taken as the
    password itself; without one, libpq reads ``PGPASSWORD`` or ``~/.pgpass``.
    """
    query = {name: value for name, value in url.query.items() if name.lower() != "password"}
    # set() takes None as "unchanged"; the named tuple's own replace clears it.
    return url.set(query=query)._replace(password=None)


def _in_memory(url: URL) -> bool:
    if url.get_backend_name() != "sqlite":
        return False
    database = url.database or ""
    # ``file::memory:`` (with ``uri=true``) is one too.
    return not database or ":memory:" in database or url.query.get("mode") == "memory"
