"""What the domain's errors mean in words: the catalogue's sentences for their fields.

The API, the CLI and the dashboard all explain an invalid number, a refused
webhook URL or an import without numbers; they take the words from here so
the three say the same thing, in the reader's language.
"""

from __future__ import annotations

from stoplist.domain.errors import NoNumbersFound, Reason
from stoplist.domain.webhook_urls import MAX_URL_LENGTH
from stoplist.i18n import N_, Language, catalogue

_REASONS: dict[Reason, str] = {
    Reason.NOT_A_NUMBER: N_("not a number"),
    Reason.TOO_SHORT: N_("too short"),
    Reason.TOO_LONG: N_("too long"),
    Reason.INVALID_LENGTH: N_("wrong length for the region"),
    Reason.UNKNOWN_PREFIX: N_("unknown prefix for the region"),
    Reason.UNKNOWN_COUNTRY_CODE: N_("unknown country code"),
}

_URL_REASONS: dict[str, str] = {
    "scheme": N_("the URL must start with http:// or https://"),
    "length": N_("the URL is longer than %(limit)s characters"),
    "characters": N_("the URL contains spaces or control characters"),
    "syntax": N_("the URL cannot be read"),
    "host": N_("the URL has no valid host name"),
    "port": N_("the port must be between 1 and 65535"),
    "credentials": N_("the URL must not contain a user name or password"),
    "private_address": N_("the address is loopback, private, link-local, multicast or reserved"),
    "internal_name": N_(
        "the host name is internal (localhost, a local domain or a metadata service)"
    ),
}


def invalid_number(reason: Reason, language: Language) -> str:
    """Why a number is invalid, in a few words."""
    return catalogue(language).text(_REASONS[reason])


def refused_url(reason: str, language: Language) -> str:
    """Why a webhook URL is refused (``reason`` is ``RefusedUrl.reason``)."""
    return catalogue(language).text(_URL_REASONS[reason], limit=MAX_URL_LENGTH)


def refused_url_message(reason: str, language: Language) -> str:
    """The refusal and its reason in one sentence (the API's message, the dashboard's line)."""
    words = catalogue(language)
    return words.text("Webhook URL refused: %(why)s", why=refused_url(reason, language))


def no_numbers(error: NoNumbersFound, language: Language, option: str | None = "column=") -> str:
    """One line on an import without numbers; ``option`` names a column (None: no hint)."""
    words = catalogue(language)
    if error.columns is not None:
        said = words.text(
            "no phone column found; columns are: %(names)s", names=", ".join(error.columns)
        )
        hint = words.text("use %(option)s", option=option)
    else:
        said = words.text(
            "no valid phone number in column %(column)s (%(lines)s lines read)",
            column=error.column,
            lines=error.lines,
        )
        hint = words.text("use %(option)s to read another column", option=option)
    return words.text("%(said)s; %(hint)s", said=said, hint=hint) if option else said
