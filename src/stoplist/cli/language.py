"""The language of the command line's messages: French or English, from the catalogue.

It follows the locale the way other Unix tools do (``LC_ALL``, then
``LC_MESSAGES``, then ``LANG``), and ``stoplist --lang`` overrides it. The
same language is asked of the server (``Accept-Language``), so an error the
server words is shown in the language of the line around it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from stoplist.i18n import LANGUAGES, SOURCE_LANGUAGE, Language, catalogue, language_of_locale

LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")
DEFAULT_LANGUAGE: Language = SOURCE_LANGUAGE

_chosen: Language | None = None


def from_locale(environ: Mapping[str, str] | None = None) -> Language:
    """The catalogue's language of the locale, English for any other (``C`` and unset included).

    The first of ``LC_ALL``, ``LC_MESSAGES`` and ``LANG`` that is set and not
    empty decides, as POSIX says.
    """
    env = os.environ if environ is None else environ
    for name in LOCALE_VARIABLES:
        value = env.get(name, "").strip()
        if value:
            return language_of_locale(value) or DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE


def choose(language: str | None) -> None:
    """Set the language for this run (``--lang``); ``None`` goes back to the locale."""
    global _chosen
    if language is not None and language not in LANGUAGES:
        raise ValueError(f"unknown language: {language}")
    _chosen = language


def current() -> Language:
    return _chosen or from_locale()


def _(message: str, /, **values: object) -> str:
    """``message`` (English, the catalogue's msgid) in the current language, filled in."""
    return catalogue(current()).text(message, **values)


def _in(context: str, message: str, /, **values: object) -> str:
    """``_`` for a message whose English is ambiguous (``context`` tells them apart)."""
    return catalogue(current()).text_in(context, message, **values)


def problem(error: Exception) -> str:
    """A domain error, in the current language (see ``wording.problem``)."""
    from stoplist import wording  # the domain's errors: not loaded by commands that never meet one

    return wording.problem(error, current())
