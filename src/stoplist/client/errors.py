"""The API's error codes as exceptions a caller can catch one by one.

The server answers an error either with a 4xx status or, like SMS Partner
sometimes does, with ``200`` and ``"success": false``; both become the same
exception here, carrying the code and the message the server sent. These
classes are the client's own (it must install without the server), but the
codes are the wire contract's.
"""

from __future__ import annotations

from typing import ClassVar


class StoplistError(Exception):
    """Base of every error the client raises.

    ``code`` is the API's error code (``None`` when no answer came back, e.g.
    a network failure) and ``message`` the server's own wording.
    """

    code: int | None
    message: str
    status_code: int | None

    def __init__(
        self, message: str, *, code: int | None = None, status_code: int | None = None
    ) -> None:
        super().__init__(f"[{code}] {message}" if code is not None else message)
        self.code = code
        self.message = message
        self.status_code = status_code


class ApiError(StoplistError):
    """An error answer from the API; subclasses name the documented codes.

    ``reason`` and ``detail`` are what the answer said beside its message,
    when it did: with code 9, why the number is invalid (``reason`` a stable
    name such as ``too_short``, ``detail`` in words); with codes 91 and 92,
    what was refused. The message alone is the contract's, the same for
    every number or parameter, so a caller needs these to fix its request.
    """

    api_code: ClassVar[int | None] = None
    reason: str | None
    detail: str | None

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        status_code: int | None = None,
        reason: str | None = None,
        detail: str | None = None,
    ):
        super().__init__(
            message, code=self.api_code if code is None else code, status_code=status_code
        )
        self.reason = reason
        self.detail = detail


class ApiKeyRequired(ApiError):
    """Code 1: the request carried no API key."""

    api_code = 1


class PhoneNumberRequired(ApiError):
    """Code 2: a phone number was required and missing."""

    api_code = 2


class AlreadyStopped(ApiError):
    """Code 3 on ``add``: the number is already stopped, as ``stop_id``."""

    api_code = 3

    def __init__(
        self,
        message: str,
        *,
        stop_id: int | None = None,
        code: int | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message, code=code, status_code=status_code)
        self.stop_id = stop_id


class StopIdRequired(ApiError):
    """Code 3 on ``delete``: no stop id was sent."""

    api_code = 3


class StopNotFound(ApiError):
    """Code 4: no entry with that id in this account."""

    api_code = 4


class InvalidPhoneNumber(ApiError):
    """Code 9: the phone number is not a valid number."""

    api_code = 9


class InvalidApiKey(ApiError):
    """Code 10: the API key is unknown or revoked."""

    api_code = 10


class MalformedRequest(ApiError):
    """Code 90: the server could not read the request body."""

    api_code = 90


class InvalidParameter(ApiError):
    """Code 91: an extension parameter had a value the server refused."""

    api_code = 91


class ReviewItemNotFound(ApiError):
    """Code 95: no possible opt-out with this id in the account's review queue."""

    api_code = 95


class ReviewAlreadyDecided(ApiError):
    """Code 96: the possible opt-out was confirmed or dismissed already (decisions are final)."""

    api_code = 96


class StopErased(ApiError):
    """Code 97: the entry's number was erased at its owner's request; it stays stopped."""

    api_code = 97


class TransportError(StoplistError):
    """No usable answer: connection refused, timeout, cut or unreadable response."""


class ServerError(StoplistError):
    """The server failed (5xx) or answered something that is not the API's shape."""


_BY_CODE: dict[int, type[ApiError]] = {
    1: ApiKeyRequired,
    2: PhoneNumberRequired,
    4: StopNotFound,
    9: InvalidPhoneNumber,
    10: InvalidApiKey,
    90: MalformedRequest,
    91: InvalidParameter,
    95: ReviewItemNotFound,
    96: ReviewAlreadyDecided,
    97: StopErased,
}


def error_for(
    code: int,
    message: str,
    *,
    status_code: int | None = None,
    stop_id: int | None = None,
    operation: str = "",
    reason: str | None = None,
    detail: str | None = None,
) -> StoplistError:
    """The exception for an error answer; code 3 means two things, told apart by operation.

    ``reason`` and ``detail`` as the answer gave them (see ``ApiError``).
    """
    if code == 3:
        if operation == "add" or stop_id is not None:
            return AlreadyStopped(message, stop_id=stop_id, code=code, status_code=status_code)
        return StopIdRequired(message, code=code, status_code=status_code)
    if code >= 500 or (status_code is not None and status_code >= 500):
        return ServerError(message, code=code, status_code=status_code)
    cls = _BY_CODE.get(code, ApiError)
    return cls(message, code=code, status_code=status_code, reason=reason, detail=detail)
