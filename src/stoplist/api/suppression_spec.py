"""OpenAPI paths of the suppression extensions (check, filter, export, import).

Kept beside ``openapi.py`` so that each area describes its own endpoints.
"""

from __future__ import annotations

from typing import Any

from stoplist.api.openapi_parts import API_KEY, FORMAT, query_parameter

_ERROR = {"$ref": "#/components/schemas/Error"}


def _answer(description: str, schema: dict[str, Any], media: str = "application/json") -> Any:
    content: dict[str, Any] = {media: {"schema": schema}}
    if media == "application/json":
        content["application/xml"] = {"schema": {"type": "string"}}
    return {"description": description, "content": content}


def _errors(extra: dict[str, str]) -> dict[str, Any]:
    table = {
        "401": "Code 1 (no API key) or 10 (unknown or revoked key)",
        "413": "Body too large",
        **extra,
    }
    return {
        status: {"description": text, "content": {"application/json": {"schema": _ERROR}}}
        for status, text in table.items()
    }


LIST_PARAMETERS = [
    query_parameter("limit", "At most this many entries (1..10000); the answer ends with nextAfter",
           {"type": "integer", "minimum": 1, "maximum": 10000}),
    query_parameter("after", "Only entries with a greater id (keyset paging)", {"type": "integer"}),
    query_parameter("since", "createdAt at or after (YYYY-MM-DD[ HH:MM:SS] in the account's zone, "
           "or ISO 8601 with an offset)", {"type": "string"}),
    query_parameter("until", "createdAt before (same forms as since)", {"type": "string"}),
]  # fmt: skip

_CHECK = {
    "type": "object",
    "properties": {
        "success": {"type": "boolean"},
        "code": {"type": "integer"},
        "phoneNumber": {"type": "string"},
        "stopped": {"type": "boolean"},
        "stopId": {"type": "integer", "description": "Only when stopped"},
        "createdAt": {"type": "string", "description": "Only when stopped"},
    },
}
_FILTER = {
    "type": "object",
    "properties": {
        "success": {"type": "boolean"},
        "code": {"type": "integer"},
        "nbData": {"type": "integer"},
        "counts": {
            "type": "object",
            "properties": {k: {"type": "integer"} for k in ("allowed", "stopped", "invalid")},
        },
        "data": {
            "type": "array",
            "description": "One item per input, in input order",
            "items": {
                "type": "object",
                "properties": {
                    "phoneNumber": {"type": "string"},
                    "input": {"description": "The input as sent, when invalid"},
                    "status": {"enum": ["allowed", "stopped", "invalid"]},
                    "stopId": {"type": "integer"},
                    "code": {"type": "integer", "description": "9 when invalid"},
                },
            },
        },
    },
}
_TEXT = {"type": "string"}
_IMPORT = {
    "type": "object",
    "properties": {
        "success": {"type": "boolean"},
        "code": {"type": "integer"},
        "added": {"type": "integer"},
        "alreadyStopped": {"type": "integer"},
        "invalid": {"type": "integer"},
        "invalidLines": {
            "type": "array",
            "description": "The first 10,000 invalid lines",
            "items": {
                "type": "object",
                "properties": {
                    "line": {"type": "integer"},
                    "input": {"type": "string"},
                    "code": {"type": "integer"},
                    "reason": {
                        "type": "string",
                        "description": "Why the number is invalid, when known: not_a_number, "
                        "too_short, too_long, invalid_length, unknown_prefix, "
                        "unknown_country_code",
                    },
                },
            },
        },
        "optedIn": {
            "type": "integer",
            "description": "Numbers left off because they were opted back in or removed",
        },
        "lines": {"type": "integer", "description": "Lines read, header and blanks included"},
        "column": {"type": "string", "description": "The column read: its header or position"},
        "columnNumber": {"type": "integer", "description": "Its position, from 1"},
        "header": {"type": "boolean", "description": "Whether the first line was a header"},
    },
}


def paths() -> dict[str, Any]:
    phone = query_parameter(
        "phoneNumber", "The number, in E.164 or any national form", {"type": "string"}
    )
    check = {
        "summary": "Is this number stopped? (extension)",
        "tags": ["suppression"],
        "parameters": [API_KEY, FORMAT, phone],
        "responses": {
            "200": _answer("The verdict", _CHECK),
            **_errors({"400": "Code 2 (no number), 9 (invalid number) or 90"}),
        },
    }
    return {
        "/v1/stop-sms/check": {"get": check, "post": check},
        "/v1/stop-sms/filter": {
            "post": {
                "summary": "Which of these numbers may be texted? (extension)",
                "description": "Up to 1,000,000 numbers in any accepted form, as "
                '`{"phoneNumbers":[...]}` or a text body of one number per line (then '
                "`apiKey` in the query or a header). Numbers already in E.164 take a fast "
                "path that never changes the verdict.",
                "tags": ["suppression"],
                "parameters": [API_KEY, FORMAT],
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "apiKey": {"type": "string"},
                                    "phoneNumbers": {"type": "array", "items": {}},
                                },
                            }
                        },
                        "text/plain": {"schema": {"type": "string"}},
                    }
                },
                "responses": {
                    "200": _answer("One verdict per input", _FILTER),
                    **_errors({"400": "Code 2 (no numbers), 90, or 91 (over 1,000,000)"}),
                },
            }
        },
        "/v1/stop-sms/export": {
            "get": {
                "summary": "The whole list as CSV, JSON or NDJSON, streamed (extension)",
                "tags": ["suppression"],
                "parameters": [
                    API_KEY,
                    query_parameter(
                        "format",
                        "csv (default), json or ndjson",
                        {"enum": ["csv", "json", "ndjson"]},
                    ),
                ],
                "responses": {
                    "200": {
                        "description": "CSV header id,phoneNumber,createdAt,source",
                        "content": {
                            "text/csv": {"schema": {"type": "string"}},
                            "application/json": {"schema": {"type": "array"}},
                            "application/x-ndjson": {"schema": {"type": "string"}},
                        },
                    },
                    **_errors({"400": "Code 91: unknown format"}),
                },
            }
        },
        "/v1/stop-sms/import": {
            "post": {
                "summary": "Add the numbers of a file (extension)",
                "description": "The body is the file (up to 1 GiB), or a multipart form "
                "whose `file` part is: CSV or text (UTF-8 with or without BOM, UTF-16 with "
                "BOM, Windows-1252; comma, semicolon, tab or pipe), or an .xlsx workbook. "
                "The phone column is found from its header or its content unless `column` "
                "names it. Idempotent; never removes anything and never re-adds a number "
                "that was opted back in. `apiKey` goes in the query or a header.",
                "tags": ["suppression"],
                "parameters": [
                    API_KEY,
                    FORMAT,
                    query_parameter(
                        "column",
                        "The column holding the numbers: its header or its position from 1",
                        {"type": "string"},
                    ),
                    query_parameter(
                        "sheet", "The workbook sheet to read (default: the first)", _TEXT
                    ),
                ],
                "requestBody": {
                    "content": {
                        "text/csv": {"schema": {"type": "string"}},
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "file": {"type": "string", "format": "binary"},
                                    "column": {"type": "string"},
                                    "sheet": {"type": "string"},
                                },
                            }
                        },
                    }
                },
                "responses": {
                    "200": _answer("What was done", _IMPORT),
                    **_errors(
                        {
                            "400": "Code 91: unknown column or sheet, unreadable workbook",
                            "422": "Code 92: no phone column, or no valid number in the file",
                        }
                    ),
                },
            }
        },
    }
