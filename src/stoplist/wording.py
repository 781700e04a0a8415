"""What the domain's errors mean in words: the catalogue's sentences for their fields.

The API, the CLI and the dashboard all explain an invalid number, a refused
webhook URL or an import without numbers; they take the words from here so
the three say the same thing, in the reader's language.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stoplist.domain import errors
from stoplist.domain.dashboard_passwords import PasswordRejected
from stoplist.domain.errors import NoNumbersFound, ParameterRefused, ParameterRule, Reason
from stoplist.domain.webhook_urls import MAX_URL_LENGTH, RefusedUrl
from stoplist.i18n import N_, Catalogue, Language, catalogue

_REASONS: dict[Reason, str] = {
    Reason.NOT_A_NUMBER: N_("not a number"),
    Reason.TOO_SHORT: N_("too short"),
    Reason.TOO_LONG: N_("too long"),
    Reason.INVALID_LENGTH: N_("wrong length for the region"),
    Reason.UNKNOWN_PREFIX: N_("unknown prefix for the region"),
    Reason.UNKNOWN_COUNTRY_CODE: N_("unknown country code"),
    Reason.LINE_TOO_LONG: N_("line too long to be read"),
    Reason.SEVERAL_NUMBERS: N_("one number at a time (filter and import take several)"),
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


_RULES: dict[ParameterRule, str] = {
    ParameterRule.REQUIRED: N_("%(name)s is required"),
    ParameterRule.NOT_TEXT: N_("%(name)s must be a string"),
    ParameterRule.TOO_LONG: N_("%(name)s is too long (at most %(limit)s characters)"),
    ParameterRule.INTEGER_RANGE: N_("%(name)s must be an integer from %(low)s to %(high)s"),
    ParameterRule.DATE: N_(
        "%(name)s must be YYYY-MM-DD, YYYY-MM-DD HH:MM:SS or ISO 8601 with an offset, "
        "years 1900 to 2999"
    ),
    ParameterRule.ONE_OF: N_("%(name)s is %(choices)s"),
    ParameterRule.NUMBER_LIST: N_("%(name)s must be a list, or numbers separated by commas"),
    ParameterRule.TOO_MANY_NUMBERS: N_("at most %(limit)s numbers per filter"),
    ParameterRule.TOO_MANY_JSON_VALUES: N_("a JSON body may hold at most %(limit)s values"),
    ParameterRule.NO_FILE_PART: N_(
        "file: the multipart body has no file part (use -F file=@list.csv)"
    ),
    ParameterRule.PARTS_NOT_INTEGERS: N_("concat-total and concat-part must be integers"),
    ParameterRule.PART_OUT_OF_RANGE: N_(
        "concat-part must be between 1 and concat-total (at most %(limit)s)"
    ),
    ParameterRule.SINCE_AFTER_UNTIL: N_("since must not be later than until"),
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
    """One line on an import without numbers; ``option`` names a column (None: no hint).

    A file of blank lines gets no hint: no column would hold a number.
    """
    words = catalogue(language)
    if error.columns is None and error.column is None:
        return words.text("the file is empty or has only blank lines")
    if error.columns is not None:
        said = words.text(
            "no phone column found; columns are: %(names)s", names=", ".join(error.columns)
        )
        hint = words.text("use %(option)s", option=option)
    else:
        said = words.text(
            "no valid phone number in column %(column)s (lines read: %(lines)s)",
            column=error.column,
            lines=error.lines,
        )
        hint = words.text("use %(option)s to read another column", option=option)
    return words.text("%(said)s; %(hint)s", said=said, hint=hint) if option else said


def parameter(error: errors.InvalidParameter, language: Language) -> tuple[str | None, str]:
    """The parameter a refusal is about (None when the words name it) and what is wrong.

    The API writes ``name: problem`` in its ``detail``, in the caller's
    language; the CLI names the option (``--column``) and the dashboard shows
    the problem alone.
    """
    words = catalogue(language)
    if isinstance(error, errors.ColumnOutOfRange):
        return "column", words.text("positions go from 1 to %(limit)s", limit=error.limit)
    if isinstance(error, errors.UnknownColumn):
        names = ", ".join(error.columns) or words.text("none (the file has no header line)")
        problem = words.text(
            "no column named %(name)s; columns are: %(names)s", name=repr(error.name), names=names
        )
        return "column", problem
    if isinstance(error, errors.ColumnNotInFile):
        problem = words.text(
            "no column %(position)s; columns are: %(names)s",
            position=error.position,
            names=", ".join(error.columns),
        )
        return "column", problem
    if isinstance(error, errors.SheetsOnlyInWorkbooks):
        return "sheet", words.text("only a workbook (.xlsx) has sheets")
    if isinstance(error, errors.UnreadableWorkbook):
        return "file", words.text(
            "not a readable .xlsx workbook (%(problem)s)", problem=error.problem
        )
    if isinstance(error, errors.UnreadableExport):
        return "file", _unreadable_export(error, words)
    if isinstance(error, errors.OversizedWorkbook):
        return "file", _oversized(error, words)
    if isinstance(error, errors.OversizedZipDirectory):
        return "file", words.text(
            "the workbook has too many parts: its zip directory is %(size)s KiB "
            "(at most %(limit)s KiB)",
            size=-(-error.size // 1024),
            limit=error.limit // 1024,
        )
    if isinstance(error, errors.UnknownSheet):
        problem = words.text(
            "no sheet named %(name)s; sheets are: %(names)s",
            name=repr(error.name),
            names=", ".join(error.sheets),
        )
        return "sheet", problem
    if isinstance(error, errors.UnknownExportFormat):
        return None, words.text("format must be csv, json or ndjson")
    if isinstance(error, ParameterRefused):
        return None, _broken_rule(error, words)
    return None, error.detail or words.text_in("api", "Invalid parameter")


def _unreadable_export(error: errors.UnreadableExport, words: Catalogue) -> str:
    """Where a JSON or NDJSON export stops reading as one, and why."""
    fmt = error.fmt.upper()
    if error.fmt == "ndjson":
        place = words.text("line %(line)s", line=error.at)
    else:
        place = words.text("entry %(entry)s", entry=error.at)
    if error.malformed:
        return words.text(
            "not a readable %(format)s export: %(place)s is not valid JSON", format=fmt, place=place
        )
    return words.text(
        "%(format)s, but not a stop list export: %(place)s is not an object "
        "with a phoneNumber string (up to %(limit)s KiB)",
        format=fmt,
        place=place,
        limit=error.limit_kib,
    )


def _oversized(error: errors.OversizedWorkbook, words: Catalogue) -> str:
    if error.ratio is not None:
        return words.text(
            "the workbook is too large once unpacked: %(part)s unpacks to %(ratio)s times "
            "its compressed size (at most %(limit)s)",
            part=error.part,
            ratio=error.ratio,
            limit=error.limit,
        )
    size, limit = -(-error.size // _MIB), error.limit // _MIB
    if error.part is None:
        return words.text(
            "the workbook is too large once unpacked: %(size)s MiB (at most %(limit)s MiB)",
            size=size,
            limit=limit,
        )
    return words.text(
        "the workbook is too large once unpacked: %(part)s is %(size)s MiB (at most %(limit)s MiB)",
        part=error.part,
        size=size,
        limit=limit,
    )


_MIB = 1 << 20


def _broken_rule(error: ParameterRefused, words: Catalogue) -> str:
    values = dict(error.values)
    choices = values.get("choices")
    if isinstance(choices, tuple | list) and choices:
        *first, last = [str(choice) for choice in choices]
        values["choices"] = (
            words.text("%(some)s or %(last)s", some=", ".join(first), last=last) if first else last
        )
    return words.text(_RULES[error.rule], **values)


def parameter_detail(error: errors.InvalidParameter, language: Language) -> str:
    """``name: problem``, as the API's ``detail`` says it."""
    name, problem = parameter(error, language)
    if name is None:
        return problem
    return catalogue(language).text("%(name)s: %(problem)s", name=name, problem=problem)


def _problems() -> dict[type[Exception], Callable[[Catalogue, Any], str]]:
    def passwords(words: Catalogue, e: PasswordRejected) -> str:
        if e.shortest is not None:
            return words.text(
                "the password must have at least %(count)s characters", count=e.shortest
            )
        return words.text("the password must have at most %(count)s characters", count=e.longest)

    return {
        errors.AccountNotFound: lambda words, e: words.text(
            "no account named or numbered %(name)s", name=repr(e.name_or_id)
        ),
        errors.AccountNameEmpty: lambda words, e: words.text("the account name must not be empty"),
        errors.AccountNameNumeric: lambda words, e: words.text(
            "an account name cannot be digits alone: it would read as an account's id"
        ),
        errors.AccountAmbiguous: lambda words, e: words.text(
            "%(name)s is an account's id and another account's name: name the first by its "
            "name, the second by its id (stoplist accounts list)",
            name=repr(e.name_or_id),
        ),
        errors.AccountNameTaken: lambda words, e: words.text(
            "an account named %(name)s already exists", name=repr(e.name)
        ),
        errors.AccountNameTakenInOtherCase: lambda words, e: words.text(
            "an account named %(existing)s already exists: %(name)s differs from it only by case",
            existing=repr(e.existing),
            name=repr(e.name),
        ),
        errors.AccountNameAmbiguous: lambda words, e: words.text(
            "no account is named exactly %(name)s, and ignoring case several are (%(names)s): "
            "type the name exactly, or the account's id (stoplist accounts list)",
            name=repr(e.name_or_id),
            names=", ".join(repr(name) for name in e.names),
        ),
        errors.UnknownRegion: lambda words, e: words.text(
            "unknown region: %(region)s", region=e.region
        ),
        errors.UnknownReasonableMeans: lambda words, e: words.text(
            "unknown reasonable-means mode %(mode)s: use optout, review or off",
            mode=repr(e.mode),
        ),
        errors.InvalidRetentionDays: lambda words, e: words.text(
            "retention days must be a whole number from %(lowest)s to %(highest)s, not %(days)s",
            lowest=e.lowest,
            highest=e.highest,
            days=repr(e.days),
        ),
        errors.UnknownTimezone: lambda words, e: words.text(
            "unknown time zone: %(name)s", name=e.name
        ),
        errors.ApiKeyNotFound: lambda words, e: words.text(
            "account %(account)s has no such key", account=repr(e.account)
        ),
        errors.UnknownProvider: lambda words, e: words.text(
            "unknown provider %(provider)s: use %(providers)s",
            provider=repr(e.provider),
            providers=", ".join(e.providers),
        ),
        errors.UnsignedProvider: lambda words, e: words.text(
            "%(provider)s does not sign its requests", provider=e.provider
        ),
        errors.UnknownSignatureMethod: lambda words, e: words.text(
            "%(provider)s signs with %(methods)s, not %(method)s",
            provider=e.provider,
            methods=", ".join(e.methods),
            method=repr(e.method),
        ),
        errors.SecretRequired: lambda words, e: words.text(
            "give the secret %(provider)s signs with", provider=e.provider
        ),
        errors.SecretLength: lambda words, e: words.text(
            "the secret must be 1 to %(limit)s characters", limit=e.limit
        ),
        errors.NotStandardWebhooksSecret: lambda words, e: words.text(
            "not a Standard Webhooks secret (whsec_ and base64)"
        ),
        errors.UnusableKeyword: lambda words, e: words.text(
            "not a usable keyword: %(keyword)s", keyword=repr(e.keyword)
        ),
        errors.UnknownKeywordAction: lambda words, e: words.text(
            "unknown keyword action %(action)s: use opt_out, opt_in, help or none",
            action=repr(e.action),
        ),
        errors.NotAKeywordAction: lambda words, e: words.text(
            "a keyword means opt_out, opt_in or help"
        ),
        errors.RequiredOptOutKeyword: lambda words, e: (
            words.text(
                "%(keyword)s is an opt-out keyword carriers and regulators require: "
                "it cannot be removed unless the change is forced",
                keyword=repr(e.keyword),
            )
            if e.action is None
            else words.text(
                "%(keyword)s is an opt-out keyword carriers and regulators require: "
                "it cannot mean %(action)s unless the change is forced",
                keyword=repr(e.keyword),
                action=e.action,
            )
        ),
        errors.KeywordNotFound: lambda words, e: words.text(
            "%(keyword)s is not a keyword for this account: nothing to remove",
            keyword=repr(e.keyword),
        ),
        errors.EndpointNotFound: lambda words, e: words.text(
            "account %(account)s has no endpoint %(id)s",
            account=repr(e.account),
            id=e.endpoint_id,
        ),
        errors.ReviewItemNotFound: lambda words, e: words.text_in(
            "api", "The review item cannot be found"
        ),
        errors.ReviewAlreadyDecided: lambda words, e: words.text_in(
            "api", "The review item was decided already"
        ),
        errors.UnknownConfirmation: lambda words, e: words.text(
            "unknown value %(value)s: use %(choices)s",
            value=repr(e.value),
            choices=", ".join(e.choices),
        ),
        errors.ConfirmationValueLength: lambda words, e: words.text(
            "the value must be 1 to %(limit)s characters", limit=e.limit
        ),
        PasswordRejected: passwords,
        RefusedUrl: lambda words, e: refused_url_message(e.reason, words.language),
    }


def problem(error: Exception, language: Language) -> str:
    """What an operator's request ran into (a domain error), in ``language``.

    An error the table does not know is shown as it says itself: it is a
    defect to fix by adding it here, never a reason to hide the message.
    """
    for kind in type(error).__mro__:
        describe = _PROBLEMS.get(kind)
        if describe is not None:
            return describe(catalogue(language), error)
    if isinstance(error, errors.InvalidParameter):
        return parameter_detail(error, language)
    return str(error)


_PROBLEMS = _problems()
