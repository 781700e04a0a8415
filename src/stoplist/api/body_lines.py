"""A body of one value per line, read as it arrives and counted on the way.

A text body of short lines is the cheapest way to make a server allocate:
64 MB of ``1\\n`` is 32 million lines, and as Python strings in a list
several gigabytes. Here the lines are decoded and kept chunk by chunk, and
the reading stops the moment one line too many or one byte too many has
arrived, so a request holds about its own size in memory, whatever it sends.

A blank line is kept (as ``""``): a client pairs line *i* of its body with
item *i* of the answer, so dropping one would shift every answer after it.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable

from stoplist.domain.errors import BodyTooLarge


class BodyLines:
    """Collects the stripped lines of a UTF-8 body (invalid bytes replaced), blank ones too.

    Lines end as ``str.splitlines`` ends them, so the body's last line end
    (``\\n`` or ``\\r\\n``) starts no line of its own; a leading byte-order
    mark is dropped. ``too_many`` is raised once more than ``max_lines``
    lines have been seen, ``BodyTooLarge`` once more than ``max_bytes`` bytes.
    """

    def __init__(
        self, *, max_bytes: int, max_lines: int, too_many: Callable[[], Exception]
    ) -> None:
        self.max_bytes = max_bytes
        self.max_lines = max_lines
        self.too_many = too_many
        self.lines: list[str] = []
        self.size = 0
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._rest: list[str] = []
        self._carried_return = False
        self._started = False

    def feed(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise BodyTooLarge()
        self._take(self._decoder.decode(chunk), final=False)

    def finish(self) -> list[str]:
        """The lines, once the whole body has been fed."""
        self._take(self._decoder.decode(b"", final=True), final=True)
        return self.lines

    def _take(self, text: str, *, final: bool) -> None:
        if not self._started and text:
            text = text.removeprefix("\ufeff")
            self._started = True
        text = self._join_line_end(text, final=final)
        parts = text.splitlines()
        ended = _ends_line(text)
        if not final and len(parts) <= 1 and not ended:
            if text:
                self._rest.append(text)  # no line break yet: a long line is joined once
            return
        if self._rest:
            parts[:1] = ["".join(self._rest) + (parts[0] if parts else "")]
            self._rest = []
        if not final and not ended and parts:
            self._rest.append(parts.pop())  # the last line goes on in the next chunk
        lines = self.lines
        lines.extend(part.strip() for part in parts)
        if len(lines) > self.max_lines:
            raise self.too_many()

    def _join_line_end(self, text: str, *, final: bool) -> str:
        """``text`` with a ``\\r`` that ended the chunk before it, holding back its own.

        A chunk may end between the ``\\r`` and the ``\\n`` of one line end; read
        apart, they would end two lines and make a blank item of nothing.
        """
        if self._carried_return:
            text = "\r" + text
        self._carried_return = not final and text.endswith("\r")
        return text[:-1] if self._carried_return else text


def _ends_line(text: str) -> bool:
    """Whether ``text`` ends with a line break (``"\\n".splitlines() == [""]``)."""
    return text[-1:].splitlines() == [""]
