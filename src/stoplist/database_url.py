"""What a database URL looks like to stoplist: its accepted forms and how it is shown.

The settings check a URL when they are read and storage opens it; both import
these text rules from here, so reading the settings never loads storage.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

SUPPORTED_SCHEMES = ("sqlite", "postgresql+psycopg")


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


def masked_url(url: str) -> str:
    """``url`` as it may be shown: any password replaced by ``***``."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return re.sub(r"(://[^/:@]*:)[^/@]*@", r"\1***@", url)
