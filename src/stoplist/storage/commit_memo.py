"""Answers of one SQLite connection, remembered while nothing was committed.

``PRAGMA data_version`` on a connection changes whenever another connection
(of this process or any other) commits to the database file. A connection
that never writes can therefore keep the answers it read for as long as its
``data_version`` stays the same: a remembered answer is never staler than a
new read would be. Reading the version costs a fraction of a real query,
which is what makes the per-call reads of a busy server (its key, the
number ``check`` asks about) cheap on SQLite.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Generic, TypeVar

V = TypeVar("V")
_MISSING = object()


class CommitCountedMemo(Generic[V]):
    """Answers by key, all forgotten at once when the database's version moves.

    At most ``max_entries`` are kept; past that the memo starts again empty
    (the answers of the busiest keys come back within a few requests).
    """

    def __init__(self, max_entries: int = 65_536) -> None:
        self._max_entries = max_entries
        self._version: object = _MISSING
        self._answers: dict[Hashable, V] = {}

    def get(self, version: object, key: Hashable) -> V | None:
        """The answer remembered for ``key`` at ``version``, or None."""
        if version != self._version:
            self._answers.clear()
            self._version = version
            return None
        return self._answers.get(key)

    def put(self, version: object, key: Hashable, answer: V) -> None:
        """Remember ``answer``, read at ``version`` (a later version discards it)."""
        if version != self._version:
            self._answers.clear()
            self._version = version
        elif len(self._answers) >= self._max_entries:
            self._answers.clear()
        self._answers[key] = answer

    def __len__(self) -> int:
        return len(self._answers)
