"""The one catalogue of user-facing text: API error messages, the CLI and the dashboard.

Messages are written in English in the code (the msgid) and translated in
``locale/<lang>/LC_MESSAGES/stoplist.po``. The ``.po`` files are read with
Babel when first needed, so there is no compile step to forget: a plain
``pip install .`` or the container image carries everything. Placeholders are
``%(name)s``, the style Jinja's i18n extension uses, so one rule holds in
templates and in Python alike.

This module imports nothing of ours: every layer may use it.
"""

from __future__ import annotations

import gettext as _gettext
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Literal

from babel.messages.pofile import read_po

Language = Literal["fr", "en"]

SOURCE_LANGUAGE: Language = "en"
LANGUAGES: tuple[Language, ...] = ("en", "fr")
DOMAIN = "stoplist"
LOCALE_DIR = Path(__file__).parent / "locale"


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue without translating it yet (tables of messages)."""
    return message


def NC_(context: str, message: str) -> str:
    """Mark ``message`` (told apart by ``context``) for the catalogue without translating it."""
    return message


class Catalogue(_gettext.NullTranslations):
    """One language's messages, read from its ``.po`` file; unknown ids stay English."""

    def __init__(self, language: Language) -> None:
        super().__init__()
        self.language = language
        self._messages: dict[tuple[str | None, str], str | tuple[str, ...]] = {}
        self._plural: Callable[[int], int] = lambda n: int(n != 1)
        path = po_path(language)
        if language != SOURCE_LANGUAGE and path.exists():
            self._load(path)

    def _load(self, path: Path) -> None:
        with path.open("rb") as source:
            catalog = read_po(source, locale=self.language, domain=DOMAIN)
        self._plural = _gettext.c2py(catalog.plural_expr)
        for entry in catalog:
            if not entry.id or entry.fuzzy:
                continue
            key = entry.id[0] if isinstance(entry.id, tuple | list) else entry.id
            if isinstance(entry.string, tuple | list):
                if all(entry.string):
                    self._messages[(entry.context, key)] = tuple(entry.string)
            elif entry.string:
                self._messages[(entry.context, key)] = entry.string

    def gettext(self, message: str) -> str:
        found = self._messages.get((None, message))
        return found if isinstance(found, str) else message

    def pgettext(self, context: str, message: str) -> str:
        found = self._messages.get((context, message))
        return found if isinstance(found, str) else message

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return self._plural_form(None, msgid1, msgid2, n)

    def npgettext(self, context: str, msgid1: str, msgid2: str, n: int) -> str:
        return self._plural_form(context, msgid1, msgid2, n)

    def _plural_form(self, context: str | None, msgid1: str, msgid2: str, n: int) -> str:
        found = self._messages.get((context, msgid1))
        if isinstance(found, tuple):
            return found[min(self._plural(n), len(found) - 1)]
        return msgid1 if n == 1 else msgid2

    def text(self, message: str, /, **values: object) -> str:
        """``message`` in this language, its ``%(name)s`` placeholders filled."""
        return _fill(self.gettext(message), values)

    def text_in(self, context: str, message: str, /, **values: object) -> str:
        """``text`` for a message whose English is ambiguous (``context`` tells them apart)."""
        return _fill(self.pgettext(context, message), values)


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def catalogue(language: Language) -> Catalogue:
    """The catalogue of ``language`` (read once per process)."""
    return Catalogue(language)


def language_of_locale(value: str) -> Language | None:
    """``fr`` for ``fr_FR.UTF-8`` or ``fr``, ``en`` for ``en_US``; None for ``C`` and others."""
    primary = value.strip().lower().split(".")[0].split("@")[0].replace("-", "_").split("_")[0]
    return primary if primary in LANGUAGES else None


def _fill(translated: str, values: dict[str, object]) -> str:
    return translated % values if values else translated
