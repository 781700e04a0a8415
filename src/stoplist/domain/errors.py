"""The errors of the stop-list contract, with their codes and messages.

Codes, HTTP statuses and wording follow the SMS Partner v1 API, so that client
code written for it recognises our answers. Messages are French by default,
as in the provider's documentation, and English on request.
"""

from __future__ import annotations

from collections.abc import Iterable
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


class InvalidPhoneNumber(StoplistError):
    code = 9
    message_fr = "Le numéro de téléphone est invalide"
    message_en = "The phone number is invalid"


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
