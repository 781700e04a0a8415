"""Where stoplist finds its database and other process-wide settings.

Settings come from command-line options first, then environment variables, so
that the several worker processes of one ``stoplist serve`` agree on them.
"""

from __future__ import annotations

import os
from pathlib import Path

DATABASE_URL_ENV = "STOPLIST_DATABASE_URL"
DEFAULT_DATABASE_FILE = "stoplist.db"


def database_url(value: str | None = None) -> str:
    """Return a SQLAlchemy URL for ``value``, the environment, or the default file.

    A plain path (anything without ``://``) names a SQLite file. ``postgres://``
    and ``postgresql://`` URLs are pointed at the psycopg 3 driver.
    """
    raw = value or os.environ.get(DATABASE_URL_ENV) or DEFAULT_DATABASE_FILE
    if "://" not in raw:
        return f"sqlite:///{Path(raw).expanduser().resolve()}"
    scheme, rest = raw.split("://", 1)
    if scheme in ("postgres", "postgresql"):
        return f"postgresql+psycopg://{rest}"
    return raw
