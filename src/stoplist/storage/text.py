"""Text columns that hold whatever people and providers send.

SQLite stores any string; PostgreSQL refuses a NUL character in text (and a
GSM-7 ``@`` is byte 0, so providers do send it) and a value longer than a
``varchar``'s length. An SMS must never be lost to either, so every free-text
column is declared with one of these types, and what is written is made
storable the same way on both databases: NUL becomes U+2400 (the visible
"symbol for null"), a lone surrogate becomes U+FFFD, and a value too long for
its column keeps its beginning plus a digest of the whole, so that two long
message ids stay distinct and the same id always fits the same way (lookups
go through the same conversion, so deduplication still matches).
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import String, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

NUL_REPLACEMENT = "\u2400"
_DIGEST_CHARS = 16


def storable(value: str, length: int | None = None) -> str:
    """``value`` as every supported database stores it (see the module's docstring)."""
    if "\x00" in value:
        value = value.replace("\x00", NUL_REPLACEMENT)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        # Pairs of surrogates become the character they encode; lone ones U+FFFD.
        value = value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if length is not None and len(value) > length:
        digest = hashlib.sha256(value.encode()).hexdigest()[:_DIGEST_CHARS]
        value = f"{value[: length - _DIGEST_CHARS - 1]}~{digest}"
    return value


class FreeText(TypeDecorator[str]):
    """Unbounded text from outside (SMS text, reasons)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return storable(value) if isinstance(value, str) else value


class FreeString(TypeDecorator[str]):
    """Bounded text from outside (message ids, labels): fitted to its length."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if not isinstance(value, str):
            return value
        impl = self.impl_instance
        return storable(value, impl.length if isinstance(impl, String) else None)
