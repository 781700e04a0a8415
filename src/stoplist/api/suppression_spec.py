"""OpenAPI paths of the suppression extensions (check, filter, export, import).

Kept beside ``openapi.py`` so that each area describes its own endpoints.
"""

from __future__ import annotations

from typing import Any

from stoplist.api.openapi_parts import (
    PHONE_NUMBER,
    answer,
    errors,
    get_and_post,
    integer,
    operation,
    query_parameter,
    schema,
)
from stoplist.client import answers
from stoplist.domain.paging import MAX_LIMIT
from stoplist.domain.parameters import DATE_PATTERN, MAX_ID

_TEXT_LIST = r"^[\s\ufeff]*[^\s\ufeff{\[]"
"""A text body of numbers: whatever starts with ``{`` or ``[`` is read as JSON."""
_EXPORT_FORMAT = r"^\s*(?:[cC][sS][vV]|(?:[nN][dD])?[jJ][sS][oO][nN])?\s*$"
"""What ``exports.export_format`` reads: a format in any case, or nothing (CSV)."""
DATE_SCHEMA = {
    "type": "string",
    "pattern": DATE_PATTERN,
    "description": "YYYY-MM-DD or YYYY-MM-DD HH:MM:SS in the account's zone, or ISO 8601 with "
    "an offset; years 1900 to 2999",
    "example": "2025-01-31",
}

LIST_PARAMETERS = [
    query_parameter("limit", f"At most this many entries (1..{MAX_LIMIT}); ends with nextAfter",
           integer(1, MAX_LIMIT)),
    query_parameter("after", "Only entries with a greater id (keyset paging)",
           integer(0, MAX_ID)),
    query_parameter("since", "createdAt at or after this", DATE_SCHEMA),
    query_parameter("until", "createdAt before this", DATE_SCHEMA),
]  # fmt: skip

_TEXT = {"type": "string"}


def paths() -> dict[str, Any]:
    check = get_and_post(
        "Is this number stopped? (extension)",
        "suppression",
        parameters={"phoneNumber": ("The number", PHONE_NUMBER)},
        required=["phoneNumber"],
        success=answer("The verdict", schema(answers.Check)),
        errors_=errors({"400": "Code 2 (no number), 9 (invalid number) or 90"}),
    )
    numbers = {
        "anyOf": [
            {
                "type": "array",
                "items": {"description": "A number; anything else comes back invalid (code 9)"},
                "maxItems": 1_000_000,
            },
            {"type": "string", "minLength": 1, "description": "Separated by commas or lines"},
            {"type": "integer", "description": "One number, as digits"},
        ]
    }
    filter_body = {
        "required": True,
        "description": "`phoneNumbers` as a JSON array or a comma-separated form field, or a "
        "text body of one number per line (then `apiKey` goes in the query or a header).",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {"phoneNumbers": numbers},
                    "required": ["phoneNumbers"],
                }
            },
            "text/plain": {"schema": {"type": "string", "pattern": _TEXT_LIST}},
        },
    }
    export_format = query_parameter(
        "format",
        "csv (default), json or ndjson (any case); any other value is refused with code 91",
        {"type": "string", "pattern": _EXPORT_FORMAT, "examples": ["csv", "json", "ndjson"]},
    )
    export_answer = {
        "description": "CSV header id,phoneNumber,createdAt,source",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/json": {"schema": {"type": "array"}},
            "application/x-ndjson": {"schema": {"type": "string"}},
        },
    }
    return {
        "/v1/stop-sms/check": check,
        "/v1/stop-sms/filter": {
            "post": operation(
                "Which of these numbers may be texted? (extension)",
                "suppression",
                description="Up to 1,000,000 numbers in any accepted form. Numbers already "
                "in E.164 take a fast path that never changes the verdict. A text body is "
                "refused at its 1,000,001st number without reading the rest.",
                parameters=[],
                request_body=filter_body,
                success=answer("One verdict per input", schema(answers.Filter)),
                errors_=errors({"400": "Code 2 (no numbers), 90, or 91 (over 1,000,000)"}),
            )
        },
        "/v1/stop-sms/export": {
            "get": {
                "summary": "The whole list as CSV, JSON or NDJSON, streamed (extension)",
                "tags": ["suppression"],
                "parameters": [export_format],
                "responses": {
                    "200": export_answer,
                    **errors({"400": "Code 91: unknown format"}, json_only=True),
                },
            }
        },
        "/v1/stop-sms/import": {
            "post": operation(
                "Add the numbers of a file (extension)",
                "suppression",
                description="The body is the file (up to 1 GiB), or a multipart form "
                "whose `file` part is: CSV or text (UTF-8 with or without BOM, UTF-16 with "
                "BOM, Windows-1252; comma, semicolon, tab or pipe), or an .xlsx workbook. "
                "The phone column is found from its header or its content unless `column` "
                "names it. Idempotent; never removes anything and never re-adds a number "
                "that was opted back in. `apiKey` goes in the query or a header.",
                parameters=[
                    query_parameter(
                        "column",
                        "The column holding the numbers: its header or its position from 1",
                        _TEXT,
                    ),
                    query_parameter(
                        "sheet", "The workbook sheet to read (default: the first)", _TEXT
                    ),
                ],
                request_body={
                    "required": False,
                    "content": {
                        "text/csv": {"schema": {}},
                        "text/plain": {"schema": {}},
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "file": {"type": "string", "format": "binary"},
                                    "column": {"type": "string"},
                                    "sheet": {"type": "string"},
                                },
                                "required": ["file"],
                            }
                        },
                    },
                },
                success=answer("What was done", schema(answers.Import)),
                errors_=errors(
                    {
                        "400": "Code 91: unknown column or sheet, unreadable workbook, "
                        "a parameter or file sent twice",
                        "422": "Code 92: no phone column, or no valid number in the file",
                    }
                ),
            )
        },
    }
