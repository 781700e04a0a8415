"""What can go wrong, as the domain sees it: one class per error, its fields.

Codes follow the SMS Partner v1 API, so that client code written for it
recognises our answers. There is no HTTP status and no wording here: the HTTP
layer (``api.errors``) answers each error with a status and a message from the
catalogue, and the CLI and the dashboard word them from the same catalogue.

Its length is the number of errors: one class each, all here, so that the
HTTP table (``api.errors``) and the catalogue have one list to cover
(``tests/test_catalogue.py`` checks both).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum
from typing import ClassVar


class StoplistError(Exception):
    """Base class of every error that has a code in the wire contract.

    An error's ``str()`` is for developers and logs (English, like any Python
    exception); what users read comes from the catalogue (``stoplist.wording``).

    ``code`` is the error's name in the SMS Partner contract (import reports
    carry it per line as well); how it is answered over HTTP (status,
    message in the client's language, extra fields) is ``api.errors``'s job.
    """

    code: ClassVar[int] = 0

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail or type(self).__name__)
        self.detail = detail


class ApiKeyRequired(StoplistError):
    code = 1


class PhoneNumberRequired(StoplistError):
    code = 2


class AlreadyStopped(StoplistError):
    code = 3

    def __init__(self, stop_id: int) -> None:
        super().__init__(f"already stopped as {stop_id}")
        self.stop_id = stop_id


class StopIdRequired(StoplistError):
    code = 3


class StopNotFound(StoplistError):
    code = 4


class StopErased(StoplistError):
    """The entry's number was erased at its owner's request: it stays suppressed, and
    only an opt-in from the person lifts it (``domain.erasure``)."""

    code = 97


class Reason(Enum):
    """Why a number is not valid, as far as the numbering plan tells (value: wire name).

    ``LINE_TOO_LONG`` is an import's: a line too long to be read at all.
    ``SEVERAL_NUMBERS`` is a call's that takes one number and was sent more.
    """

    NOT_A_NUMBER = "not_a_number"
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    INVALID_LENGTH = "invalid_length"
    UNKNOWN_PREFIX = "unknown_prefix"
    UNKNOWN_COUNTRY_CODE = "unknown_country_code"
    LINE_TOO_LONG = "line_too_long"
    SEVERAL_NUMBERS = "several_numbers"


class InvalidPhoneNumber(StoplistError):
    """Not a valid number; ``reason`` says why when the numbering plan tells.

    The API's message stays the contract's; the reason travels beside it as
    ``reason`` (a stable name) and ``detail`` (in the answer's language).
    """

    code = 9

    def __init__(self, detail: str | None = None, *, reason: Reason | None = None) -> None:
        super().__init__(detail or (reason.value if reason else None))
        self.reason = reason


class InvalidApiKey(StoplistError):
    code = 10


class MalformedBody(StoplistError):
    code = 90


class InvalidParameter(StoplistError):
    """A parameter of an extension has a value we cannot use (the detail says which)."""

    code = 91


class ParameterRule(Enum):
    """A rule a parameter can break; its words are ``stoplist.wording``'s (value: a stable name).

    The comment after each says what ``ParameterRefused.values`` carries.
    """

    REQUIRED = "required"  # name
    NOT_TEXT = "not_text"  # name
    TOO_LONG = "too_long"  # name, limit
    INTEGER_RANGE = "integer_range"  # name, low, high
    DATE = "date"  # name
    ONE_OF = "one_of"  # name, choices (a tuple of the accepted values)
    NUMBER_LIST = "number_list"  # name
    TOO_MANY_NUMBERS = "too_many_numbers"  # limit
    TOO_MANY_JSON_VALUES = "too_many_json_values"  # limit
    NO_FILE_PART = "no_file_part"
    PARTS_NOT_INTEGERS = "parts_not_integers"
    PART_OUT_OF_RANGE = "part_out_of_range"  # limit
    SINCE_AFTER_UNTIL = "since_after_until"


class ParameterRefused(InvalidParameter):
    """A parameter broke one of the common ``ParameterRule``s; ``values`` fill its words.

    The words are chosen when the error is answered, in the reader's
    language, so the domain and the adapters raise the rule, not a sentence.
    """

    def __init__(self, rule: ParameterRule, **values: object) -> None:
        super().__init__(f"{rule.value} {values}" if values else rule.value)
        self.rule = rule
        self.values = values


class ColumnOutOfRange(InvalidParameter):
    """A column position past ``limit`` (positions count from 1)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"column: positions go from 1 to {limit}")
        self.limit = limit


class UnknownColumn(InvalidParameter):
    """No column has the header ``name``; ``columns`` are the file's headers (maybe none)."""

    def __init__(self, name: str, columns: tuple[str, ...]) -> None:
        names = ", ".join(columns) or "none (the file has no header line)"
        super().__init__(f"column: no column named {name!r}; columns are: {names}")
        self.name = name
        self.columns = columns


class ColumnNotInFile(InvalidParameter):
    """A column position past the file's last column; ``columns`` are the ones it has.

    Positions up to ``MAX_COLUMNS`` are valid in general; this one is not in
    this file, which only its first lines can tell.
    """

    def __init__(self, position: int, columns: tuple[str, ...]) -> None:
        super().__init__(f"column: no column {position}; columns are: {', '.join(columns)}")
        self.position = position
        self.columns = columns


class SheetsOnlyInWorkbooks(InvalidParameter):
    """A sheet was named for a file that is not a workbook."""

    def __init__(self) -> None:
        super().__init__("sheet: only a workbook (.xlsx) has sheets")


class UnreadableWorkbook(InvalidParameter):
    """The file looks like a workbook but cannot be read; ``problem`` is the reader's word."""

    def __init__(self, problem: str) -> None:
        super().__init__(f"file: not a readable .xlsx workbook ({problem})")
        self.problem = problem


class OversizedWorkbook(InvalidParameter):
    """A workbook whose parts would unpack to far more than a real one's.

    ``part`` is the first such part (None: all of them together); ``size`` is
    its uncompressed bytes and ``limit`` the bound, or, when ``ratio`` is
    set, it is compressed ``ratio`` times over and ``limit`` is the most a
    real part is.
    """

    def __init__(self, part: str | None, size: int, limit: int, ratio: int | None = None) -> None:
        what = f"{part} compressed {ratio} times" if ratio else f"{part or 'all'}: {size} bytes"
        super().__init__(f"file: the workbook is too large once unpacked ({what}; at most {limit})")
        self.part = part
        self.size = size
        self.limit = limit
        self.ratio = ratio


class OversizedZipDirectory(InvalidParameter):
    """A workbook whose zip directory alone is ``size`` bytes (``limit`` at most).

    Tens of thousands of parts, where a real workbook has a few dozen.
    """

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(
            f"file: the workbook has too many parts "
            f"({size} bytes of zip directory; at most {limit})"
        )
        self.size = size
        self.limit = limit


class UnreadableExport(InvalidParameter):
    """A file that begins as a JSON or NDJSON export of a stop list and is not one.

    ``fmt`` is ``json`` or ``ndjson``; ``at`` is where, from 1: a line of
    NDJSON, an entry of a JSON array. ``malformed``: what is there is not
    JSON (a file cut short, an edit gone wrong); otherwise it is JSON but
    not an entry (an object with a ``phoneNumber`` string, up to
    ``limit_kib``). The whole file is refused: a backup that does not read
    back whole is a problem to see, not a list to import in part.
    """

    def __init__(self, fmt: str, at: int, *, malformed: bool, limit_kib: int) -> None:
        place = f"line {at}" if fmt == "ndjson" else f"entry {at}"
        what = "not valid JSON" if malformed else "not an object with a phoneNumber string"
        super().__init__(f"file: not a readable {fmt.upper()} export ({place} is {what})")
        self.fmt = fmt
        self.at = at
        self.malformed = malformed
        self.limit_kib = limit_kib


class UnknownSheet(InvalidParameter):
    """The workbook has no sheet ``name``; ``sheets`` are the ones it has."""

    def __init__(self, name: str, sheets: tuple[str, ...]) -> None:
        super().__init__(f"sheet: no sheet named {name!r}; sheets are: {', '.join(sheets)}")
        self.name = name
        self.sheets = sheets


class UnknownExportFormat(InvalidParameter):
    """An export format other than ``formats``."""

    def __init__(self, value: str, formats: tuple[str, ...]) -> None:
        super().__init__("format must be csv, json or ndjson")
        self.value = value
        self.formats = formats


class NoNumbersFound(StoplistError):
    """An import in which no line holds a valid number.

    ``columns`` are the file's column names (or numbers, from 1) when no phone
    column was found; ``column`` is the one read otherwise. Both are None
    for a file with no line but blank ones (or none at all): there was no
    column to read. ``lines`` is how many lines were read.
    """

    code = 92

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
        super().__init__(f"no valid number (columns={columns}, column={column})")


class ReviewItemNotFound(StoplistError):
    """No possible opt-out with this id in the account's review queue."""

    code = 95


class ReviewAlreadyDecided(StoplistError):
    """The possible opt-out was confirmed or dismissed already: decisions are final."""

    code = 96

    def __init__(self, status: str | None = None) -> None:
        super().__init__(f"already {status or 'decided'}")
        self.status = status


class NotFound(StoplistError):
    code = 404


class MethodNotAllowed(StoplistError):
    """``allow`` lists the methods the resource does answer (the ``Allow`` header)."""

    code = 405

    def __init__(self, allow: Iterable[str] = ("GET", "POST")) -> None:
        super().__init__()
        self.allow = tuple(allow)


class BodyTooLarge(StoplistError):
    code = 413


class StorageFull(StoplistError):
    """The disk under the database (or a temporary file) is full: nothing was half-written.

    Every write runs in a transaction that is rolled back when it cannot be
    stored, so the client may simply try again once space is back (an
    import is idempotent: batches committed before the disk filled are
    counted as already stopped the next time).
    """

    code = 93


class DatabaseUnavailable(StoplistError):
    """The database did not answer or refused to write: nothing was changed, try again."""

    code = 94


class PreparedStatementsLost(DatabaseUnavailable):
    """A connection pooler lost the statements this node prepared: fixed by setup, not by time.

    PgBouncer before 1.21 in transaction mode hands each transaction to any
    server connection, where a statement prepared on another one is unknown
    (or a name is already taken). Nothing was changed, so it keeps code 94;
    its message says what the operator must change.
    """


class InternalError(StoplistError):
    code = 500


class InvalidSignature(StoplistError):
    """An inbound request is not signed by its provider: refused, nothing recorded.

    Not an SMS Partner error: the answer to a provider carries no API code.
    """


class AccountNotFound(LookupError):
    """No account has that name or id (raised to operators, not API clients)."""

    def __init__(self, name_or_id: str | int) -> None:
        super().__init__(f"no account named or numbered {name_or_id!r}")
        self.name_or_id = name_or_id


class AccountNameEmpty(ValueError):
    """An account needs a name that is not only spaces."""


class AccountNameNumeric(ValueError):
    """A name of digits alone would read as another account's id wherever accounts are named."""


class AccountAmbiguous(ValueError):
    """``name_or_id`` is one account's id and another account's name (named before that was
    refused): which one is meant cannot be told."""

    def __init__(self, name_or_id: str) -> None:
        super().__init__(f"{name_or_id!r} is an account's id and another account's name")
        self.name_or_id = name_or_id


class AccountNameTaken(ValueError):
    """Another account already has ``name`` (names are unique)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"an account named {name!r} already exists")
        self.name = name


class AccountNameTakenInOtherCase(AccountNameTaken):
    """``name`` differs from another account's name, ``existing``, only by case.

    An operator typing one would reach the other (names are found ignoring
    case), so such a name is taken as surely as an identical one.
    """

    def __init__(self, name: str, existing: str) -> None:
        ValueError.__init__(self, f"{name!r} differs from the account {existing!r} only by case")
        self.name = name
        self.existing = existing


class AccountNameAmbiguous(AccountAmbiguous):
    """``name_or_id`` is no account's exact name but, ignoring case, the name of each of
    ``names`` (named before that was refused): which one is meant cannot be told."""

    def __init__(self, name_or_id: str, names: tuple[str, ...]) -> None:
        ValueError.__init__(
            self, f"{name_or_id!r} is, ignoring case, the name of accounts {list(names)!r}"
        )
        self.name_or_id = name_or_id
        self.names = names


class UnknownRegion(ValueError):
    """``region`` is not a region of the numbering plan (ISO 3166 alpha-2)."""

    def __init__(self, region: str) -> None:
        super().__init__(f"unknown region: {region}")
        self.region = region


class ApiKeyNotFound(LookupError):
    """``account`` has no key with that id or value."""

    def __init__(self, account: str) -> None:
        super().__init__(f"account {account!r} has no such key")
        self.account = account


class UnknownProvider(ValueError):
    """``provider`` is not one of ``providers`` (the inbound endpoints)."""

    def __init__(self, provider: str, providers: tuple[str, ...]) -> None:
        super().__init__(f"unknown provider {provider!r}: use {', '.join(providers)}")
        self.provider = provider
        self.providers = providers


class UnsignedProvider(ValueError):
    """``provider`` does not sign its requests, so signatures cannot be required."""

    def __init__(self, provider: str) -> None:
        super().__init__(f"{provider} does not sign its requests")
        self.provider = provider


class UnknownSignatureMethod(ValueError):
    """``provider`` signs with one of ``methods``, not ``method``."""

    def __init__(self, provider: str, methods: tuple[str, ...], method: str) -> None:
        super().__init__(f"{provider} signs with {', '.join(methods)}, not {method!r}")
        self.provider = provider
        self.methods = methods
        self.method = method


class SecretRequired(ValueError):
    """``provider`` gives its own signing secret: it cannot be made up here."""

    def __init__(self, provider: str) -> None:
        super().__init__(f"give the secret {provider} signs with")
        self.provider = provider


class SecretLength(ValueError):
    """A signing secret must be 1 to ``limit`` characters."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the secret must be 1 to {limit} characters")
        self.limit = limit


class NotStandardWebhooksSecret(ValueError):
    """The generic endpoint's secret must be a Standard Webhooks one (``whsec_`` and base64)."""

    def __init__(self) -> None:
        super().__init__("not a Standard Webhooks secret (whsec_ and base64)")


class UnusableKeyword(ValueError):
    """Nothing usable is left of ``keyword`` once normalised (or it is too long)."""

    def __init__(self, keyword: str) -> None:
        super().__init__(f"not a usable keyword: {keyword!r}")
        self.keyword = keyword


class UnknownKeywordAction(ValueError):
    """``action`` is not opt_out, opt_in, help or none."""

    def __init__(self, action: str) -> None:
        super().__init__(f"unknown keyword action {action!r}: use opt_out, opt_in, help or none")
        self.action = action


class NotAKeywordAction(ValueError):
    """A keyword can only mean opt_out, opt_in or help (a reply is what is not a keyword)."""

    def __init__(self) -> None:
        super().__init__("a keyword means opt_out, opt_in or help")


class RequiredOptOutKeyword(ValueError):
    """``keyword`` is one of the built-in opt-out keywords carriers and regulators require
    to work (STOP, ARRÊT, END...): removing it, or giving it another meaning, would
    silently make the account lose every opt-out sent with it, so it takes a forced change.

    ``action`` is what was asked: ``None`` to remove it, else the other meaning.
    """

    code: ClassVar[str] = "required_opt_out_keyword"

    def __init__(self, keyword: str, action: str | None) -> None:
        change = "removed" if action is None else f"made {action}"
        super().__init__(
            f"{keyword!r} is an opt-out keyword carriers and regulators require: "
            f"it cannot be {change} unless forced"
        )
        self.keyword = keyword
        self.action = action


class KeywordNotFound(LookupError):
    """``keyword`` is not a keyword for this account (never was, or already removed)."""

    code: ClassVar[str] = "keyword_not_found"

    def __init__(self, keyword: str) -> None:
        super().__init__(f"{keyword!r} is not a keyword for this account: nothing to remove")
        self.keyword = keyword


class EndpointNotFound(LookupError):
    """``account`` has no active webhook endpoint ``endpoint_id``."""

    def __init__(self, account: str, endpoint_id: int) -> None:
        super().__init__(f"account {account!r} has no endpoint {endpoint_id}")
        self.account = account
        self.endpoint_id = endpoint_id


class UnknownReasonableMeans(ValueError):
    """``mode`` is not optout, review or off (what a plain request to stop does)."""

    def __init__(self, mode: object) -> None:
        super().__init__(f"unknown reasonable-means mode {mode!r}: use optout, review or off")
        self.mode = mode


class InvalidRetentionDays(ValueError):
    """A retention period is a whole number of days from ``lowest`` to ``highest``."""

    def __init__(self, days: object, lowest: int, highest: int) -> None:
        super().__init__(f"retention days must be from {lowest} to {highest}, not {days!r}")
        self.days = days
        self.lowest = lowest
        self.highest = highest


class UnknownTimezone(ValueError):
    """``name`` is not an IANA time zone (``Europe/Paris``, ``UTC``, ...)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"unknown time zone: {name}")
        self.name = name


class UnknownConfirmation(ValueError):
    """``value`` is not one of ``choices``: a confirmation's kind or language."""

    def __init__(self, value: str, choices: tuple[str, ...]) -> None:
        super().__init__(f"unknown value {value!r}: use {', '.join(choices)}")
        self.value = value
        self.choices = choices


class ConfirmationValueLength(ValueError):
    """A confirmation text, sender or SMS Partner key must be 1 to ``limit`` characters."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the value must be 1 to {limit} characters")
        self.limit = limit
