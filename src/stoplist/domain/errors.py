"""The errors of the stop-list contract, with their codes and messages.

Codes, HTTP statuses and wording follow the SMS Partner v1 API, so that client
code written for it recognises our answers. Messages are French by default,
as in the provider's documentation, and English on request.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum
from typing import ClassVar, Literal

Language = Literal["fr", "en"]


class StoplistError(Exception):
    """Base class of every error that has a code in the wire contract."""

    code: ClassVar[int] = 0
    http_status: ClassVar[int] = 400
    message_fr: ClassVar[str] = "Erreur"
    message_en: ClassVar[str] = "Error"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail or self.message_en)
        self.detail = detail

    def message(self, language: Language = "fr") -> str:
        return self.message_en if language == "en" else self.message_fr

    def extra(self) -> dict[str, object]:
        """Fields added to the error body after ``message``."""
        return {}

    def extra_in(self, language: Language) -> dict[str, object]:
        """``extra`` for an answer in ``language`` (for errors whose fields are worded)."""
        return self.extra()


class ApiKeyRequired(StoplistError):
    code = 1
    http_status = 401
    message_fr = "La clé API est requise"
    message_en = "The API key is required"


class PhoneNumberRequired(StoplistError):
    code = 2
    message_fr = "Le numéro de téléphone est requis"
    message_en = "The phone number is required"


class AlreadyStopped(StoplistError):
    code = 3
    http_status = 409
    message_fr = "Le numéro est déjà présent dans la liste"
    message_en = "The number is already in the list"

    def __init__(self, stop_id: int) -> None:
        super().__init__(f"already stopped as {stop_id}")
        self.stop_id = stop_id

    def extra(self) -> dict[str, object]:
        return {"stopId": self.stop_id}


class StopIdRequired(StoplistError):
    code = 3
    message_fr = "L'ID du numéro est requis"
    message_en = "The phone number ID is required"


class StopNotFound(StoplistError):
    code = 4
    http_status = 404
    message_fr = "L'ID du numéro est introuvable"
    message_en = "The phone number ID cannot be found"


class Reason(Enum):
    """Why a number is not valid, as far as the numbering plan tells (value: wire name)."""

    NOT_A_NUMBER = "not_a_number"
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    INVALID_LENGTH = "invalid_length"
    UNKNOWN_PREFIX = "unknown_prefix"
    UNKNOWN_COUNTRY_CODE = "unknown_country_code"

    def describe(self, language: Language = "en") -> str:
        english, french = _REASON_WORDS[self]
        return english if language == "en" else french


_REASON_WORDS = {
    Reason.NOT_A_NUMBER: ("not a number", "ce n'est pas un numéro"),
    Reason.TOO_SHORT: ("too short", "trop court"),
    Reason.TOO_LONG: ("too long", "trop long"),
    Reason.INVALID_LENGTH: (
        "wrong length for the region",
        "longueur impossible pour la région",
    ),
    Reason.UNKNOWN_PREFIX: (
        "unknown prefix for the region",
        "préfixe inconnu pour la région",
    ),
    Reason.UNKNOWN_COUNTRY_CODE: ("unknown country code", "indicatif de pays inconnu"),
}


class InvalidPhoneNumber(StoplistError):
    """Not a valid number; ``reason`` says why when the numbering plan tells.

    The message stays the contract's; the reason travels beside it as
    ``reason`` (a stable name) and ``detail`` (in the answer's language).
    """

    code = 9
    message_fr = "Le numéro de téléphone est invalide"
    message_en = "The phone number is invalid"

    def __init__(self, detail: str | None = None, *, reason: Reason | None = None) -> None:
        super().__init__(detail or (reason.describe() if reason else None))
        self.reason = reason

    def extra_in(self, language: Language) -> dict[str, object]:
        if self.reason is not None:
            return {"reason": self.reason.value, "detail": self.reason.describe(language)}
        return {}


class InvalidApiKey(StoplistError):
    code = 10
    http_status = 401
    message_fr = "Clé API incorrecte"
    message_en = "Invalid API key"


class MalformedBody(StoplistError):
    code = 90
    message_fr = "Le JSON est malformé"
    message_en = "Malformed JSON"


class InvalidParameter(StoplistError):
    """A parameter of an extension has a value we cannot use (the detail says which)."""

    code = 91
    message_fr = "Paramètre invalide"
    message_en = "Invalid parameter"

    def extra(self) -> dict[str, object]:
        return {"detail": self.detail} if self.detail else {}


class NoNumbersFound(StoplistError):
    """A non-empty import in which no line holds a valid number.

    ``columns`` are the file's column names (or numbers, from 1) when no phone
    column was found; ``column`` is the one read otherwise. ``describe`` says
    what went wrong and how to name a column with the adapter's ``option``.
    """

    code = 92
    http_status = 422
    message_fr = "Aucun numéro valide dans le fichier"
    message_en = "No valid phone number in the file"

    def __init__(
        self,
        *,
        columns: tuple[str, ...] | None = None,
        column: str | None = None,
        lines: int = 0,
    ) -> None:
        self.columns = columns
        self.column = column
        self.lines = lines
        super().__init__(self.describe("en"))

    def describe(self, language: Language = "en", option: str | None = "column=") -> str:
        """One line; ``option`` is how the caller names a column (None: say nothing of it)."""
        english = language == "en"
        if self.columns is not None:
            names = ", ".join(self.columns)
            said = (
                f"no phone column found; columns are: {names}"
                if english
                else f"aucune colonne de numéros trouvée ; colonnes : {names}"
            )
            hint = f"use {option}" if english else f"utilisez {option}"
        else:
            said = (
                f"no valid phone number in column {self.column} ({self.lines} lines read)"
                if english
                else f"aucun numéro valide dans la colonne {self.column} ({self.lines} lignes lues)"
            )
            hint = (
                f"use {option} to read another column"
                if english
                else f"utilisez {option} pour lire une autre colonne"
            )
        return f"{said}; {hint}" if option and english else f"{said} ; {hint}" if option else said

    def extra_in(self, language: Language) -> dict[str, object]:
        found: dict[str, object] = {"detail": self.describe(language)}
        if self.columns is not None:
            found["columns"] = list(self.columns)
        return found


class ReviewItemNotFound(StoplistError):
    """No possible opt-out with this id in the account's review queue."""

    code = 95
    http_status = 404
    message_fr = "Élément de revue introuvable"
    message_en = "The review item cannot be found"


class ReviewAlreadyDecided(StoplistError):
    """The possible opt-out was confirmed or dismissed already: decisions are final."""

    code = 96
    http_status = 409
    message_fr = "Cet élément a déjà été traité"
    message_en = "The review item was decided already"

    def __init__(self, status: str) -> None:
        super().__init__(f"already {status}")
        self.status = status

    def extra(self) -> dict[str, object]:
        return {"status": self.status}


class NotFound(StoplistError):
    code = 404
    http_status = 404
    message_fr = "Ressource introuvable"
    message_en = "Not found"


class MethodNotAllowed(StoplistError):
    """``allow`` lists the methods the resource does answer (the ``Allow`` header)."""

    code = 405
    http_status = 405
    message_fr = "Méthode non autorisée"
    message_en = "Method not allowed"

    def __init__(self, allow: Iterable[str] = ("GET", "POST")) -> None:
        super().__init__()
        self.allow = tuple(allow)


class BodyTooLarge(StoplistError):
    code = 413
    http_status = 413
    message_fr = "Le corps de la requête est trop volumineux"
    message_en = "Request body too large"


class StorageFull(StoplistError):
    """The disk under the database (or a temporary file) is full: nothing was half-written.

    Every write runs in a transaction that is rolled back when it cannot be
    stored, so the client may simply try again once space is back (an
    import is idempotent: batches committed before the disk filled are
    counted as already stopped the next time).
    """

    code = 93
    http_status = 503
    message_fr = "Le stockage est plein : la demande n'a pas été enregistrée, réessayez plus tard"
    message_en = "Storage is full: the request was not recorded, try again later"


class DatabaseUnavailable(StoplistError):
    """The database did not answer or refused to write: nothing was changed, try again."""

    code = 94
    http_status = 503
    message_fr = "La base de données est indisponible, réessayez plus tard"
    message_en = "The database is unavailable, try again later"


class InternalError(StoplistError):
    code = 500
    http_status = 500
    message_fr = "Erreur interne du serveur"
    message_en = "Internal server error"


class AccountNotFound(Exception):
    """No account has that name or id (raised to operators, not API clients)."""
