"""How the domain's errors are answered over HTTP: one table of status and message.

The code comes with the error (it is its name in the SMS Partner contract);
this table adds what only HTTP needs: the status, and the contract's message,
taken from the catalogue in the language the client asked for (French by
default, as in the provider's documentation, English on request). The
French and English wordings are the provider's, byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from stoplist import wording
from stoplist.domain import errors
from stoplist.domain.webhook_urls import RefusedUrl
from stoplist.i18n import NC_, Language, catalogue

API = "api"
"""The catalogue's context of the contract's messages (the dashboard's "Not found" differs)."""


@dataclass(frozen=True, slots=True)
class Answer:
    """The HTTP side of one error: its status and its message (an English msgid)."""

    status: int
    message: str
    with_code: bool = True
    """False for answers that are not the SMS Partner API's (a provider's refused webhook)."""


ANSWERS: dict[type[errors.StoplistError], Answer] = {
    errors.ApiKeyRequired: Answer(401, NC_("api", "The API key is required")),
    errors.PhoneNumberRequired: Answer(400, NC_("api", "The phone number is required")),
    errors.AlreadyStopped: Answer(409, NC_("api", "The number is already in the list")),
    errors.StopIdRequired: Answer(400, NC_("api", "The phone number ID is required")),
    errors.StopNotFound: Answer(404, NC_("api", "The phone number ID cannot be found")),
    errors.StopErased: Answer(
        409,
        NC_("api", "The number was erased at its owner's request and stays suppressed"),
    ),
    errors.InvalidPhoneNumber: Answer(400, NC_("api", "The phone number is invalid")),
    errors.InvalidApiKey: Answer(401, NC_("api", "Invalid API key")),
    errors.MalformedBody: Answer(400, NC_("api", "Malformed JSON")),
    errors.InvalidParameter: Answer(400, NC_("api", "Invalid parameter")),
    errors.NoNumbersFound: Answer(422, NC_("api", "No valid phone number in the file")),
    errors.StorageFull: Answer(
        503, NC_("api", "Storage is full: the request was not recorded, try again later")
    ),
    errors.DatabaseUnavailable: Answer(
        503, NC_("api", "The database is unavailable, try again later")
    ),
    errors.PreparedStatementsLost: Answer(
        503,
        NC_(
            "api",
            "The database is unavailable: a connection pooler lost the prepared statements "
            "(set STOPLIST_PREPARED_STATEMENTS=0, or use PgBouncer 1.21 or later with "
            "max_prepared_statements)",
        ),
    ),
    errors.ReviewItemNotFound: Answer(404, NC_("api", "The review item cannot be found")),
    errors.ReviewAlreadyDecided: Answer(409, NC_("api", "The review item was decided already")),
    errors.NotFound: Answer(404, NC_("api", "Not found")),
    errors.MethodNotAllowed: Answer(405, NC_("api", "Method not allowed")),
    errors.BodyTooLarge: Answer(413, NC_("api", "Request body too large")),
    errors.InternalError: Answer(500, NC_("api", "Internal server error")),
    errors.InvalidSignature: Answer(403, NC_("api", "Invalid signature"), with_code=False),
}


def answer_for(error: errors.StoplistError) -> Answer:
    """The table's row for ``error``'s class, or its nearest listed parent's."""
    for kind in type(error).__mro__:
        found = ANSWERS.get(kind)
        if found is not None:
            return found
    return ANSWERS[errors.InternalError]


def error_body(error: errors.StoplistError, language: Language) -> tuple[int, dict[str, object]]:
    """The status and the body ``{"success": false, "code", "message", ...fields}``."""
    answer = answer_for(error)
    body: dict[str, object] = {"success": False}
    if answer.with_code:
        body["code"] = error.code
    body["message"] = _message(error, answer, language)
    body.update(_fields(error, language))
    return answer.status, body


def _message(error: errors.StoplistError, answer: Answer, language: Language) -> str:
    if isinstance(error, RefusedUrl):
        return wording.refused_url_message(error.reason, language)
    return catalogue(language).text_in(API, answer.message)


def _already_stopped(error: errors.AlreadyStopped, language: Language) -> dict[str, object]:
    return {"stopId": error.stop_id}


def _invalid_number(error: errors.InvalidPhoneNumber, language: Language) -> dict[str, object]:
    if error.reason is None:
        return {}
    return {
        "reason": error.reason.value,
        "detail": wording.invalid_number(error.reason, language),
    }


def _invalid_parameter(error: errors.InvalidParameter, language: Language) -> dict[str, object]:
    # The detail names the parameter and its rule, in the language of the message.
    if isinstance(error, RefusedUrl):
        return {"detail": wording.refused_url(error.reason, language)}
    if error.detail is None and type(error) is errors.InvalidParameter:
        return {}
    return {"detail": wording.parameter_detail(error, language)}


def _no_numbers(error: errors.NoNumbersFound, language: Language) -> dict[str, object]:
    found: dict[str, object] = {"detail": wording.no_numbers(error, language)}
    if error.columns is not None:
        found["columns"] = list(error.columns)
    return found


def _decided_already(error: errors.ReviewAlreadyDecided, language: Language) -> dict[str, object]:
    return {"status": error.status} if error.status else {}


_FIELDS: dict[type[errors.StoplistError], Callable[..., dict[str, object]]] = {
    errors.AlreadyStopped: _already_stopped,
    errors.InvalidPhoneNumber: _invalid_number,
    errors.InvalidParameter: _invalid_parameter,
    errors.NoNumbersFound: _no_numbers,
    errors.ReviewAlreadyDecided: _decided_already,
}


def _fields(error: errors.StoplistError, language: Language) -> dict[str, object]:
    """Fields after ``message`` that say more (the stop's id, why a number is invalid, ...)."""
    for kind in type(error).__mro__:
        make = _FIELDS.get(kind)
        if make is not None:
            return make(error, language)
    return {}
