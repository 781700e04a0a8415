"""Pieces every OpenAPI path description uses (see ``openapi`` and ``suppression_spec``).

The document is checked against the running server by the fuzzing test
(``tests/fuzz``), so what it says must be what the server does: a required
parameter is marked required, bounds are the ones the server enforces, and
every status an operation can answer (405, 413 and 503 included) is listed,
with both of its bodies (JSON, or XML with ``_format=xml``).
"""

from __future__ import annotations

from typing import Any, TypedDict

import msgspec

from stoplist.client import answers
from stoplist.domain.parameters import MAX_ID, digits_pattern

FORMAT = {"$ref": "#/components/parameters/format"}
ERROR = {"$ref": "#/components/schemas/Error"}
XML = {"type": "string", "description": "The same values as <result><entry> XML"}

PHONE_NUMBER: dict[str, Any] = {
    "type": "string",
    "format": "phone",
    "minLength": 1,
    "description": "E.164 or any national form of the account's region",
    "example": "06 12 34 56 78",
}


_SCHEMAS = "#/components/schemas/{name}"


def schemas() -> dict[str, Any]:
    """Every answer's schema, generated from its model in ``stoplist.client.answers``."""
    _, components = msgspec.json.schema_components(answers.ANSWERS, ref_template=_SCHEMAS)
    return components


def schema(model: type[msgspec.Struct]) -> dict[str, Any]:
    """A reference to ``model``'s schema among the document's components."""
    return {"$ref": _SCHEMAS.format(name=model.__name__)}


def integer(low: int, high: int) -> dict[str, Any]:
    """An integer parameter: a JSON integer, or its digits as text (query, form, PHP strings)."""
    return {
        "anyOf": [
            {"type": "integer", "minimum": low, "maximum": high},
            {"type": "string", "pattern": digits_pattern(low, high)},
        ]
    }


ID = integer(1, MAX_ID)
Parameters = dict[str, tuple[str, dict[str, Any]]]
"""Named parameters, each with its description and schema."""

_COMMON_ERRORS = {
    "401": "Code 1 (no API key) or 10 (unknown or revoked key)",
    "405": "Wrong method; `Allow` lists the right ones",
    "413": "Body too large",
    "503": "Code 93: storage full, or 94: the database is unavailable "
    "(nothing was recorded; try again later)",
}


def query_parameter(
    name: str, description: str, schema: dict[str, Any], *, required: bool = False
) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": schema,
    }


def error(description: str, *, json_only: bool = False) -> dict[str, Any]:
    content: dict[str, Any] = {"application/json": {"schema": ERROR}}
    if not json_only:
        content["application/xml"] = {"schema": XML}
    answer: dict[str, Any] = {"description": description, "content": content}
    if description == _COMMON_ERRORS["405"]:
        answer["headers"] = {"Allow": {"schema": {"type": "string"}}}
    return answer


def answer(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    """A success in JSON, or in XML with ``_format=xml``."""
    return {
        "description": description,
        "content": {"application/json": {"schema": schema}, "application/xml": {"schema": XML}},
    }


def errors(extra: dict[str, str], *, json_only: bool = False) -> dict[str, Any]:
    """The errors of an authenticated operation: the common ones plus ``extra``."""
    table = {**_COMMON_ERRORS, **extra}
    return {status: error(text, json_only=json_only) for status, text in table.items()}


def body(parameters: Parameters, required: list[str] | None = None) -> dict[str, Any]:
    """Parameters as a JSON object or a form; ``parameters`` as for ``get_and_post``."""
    needed = required or []

    def schema(*, json: bool) -> dict[str, Any]:
        properties = {
            name: {**_as_sent(value, name in needed, json=json), "description": text}
            for name, (text, value) in parameters.items()
        }
        described: dict[str, Any] = {"type": "object", "properties": properties}
        if needed:
            described["required"] = needed
        return described

    return {
        "required": bool(needed),
        "description": "Parameters may also be sent in the query string; a JSON body is "
        "read as JSON whatever its Content-Type. The body wins over the query. `apiKey` "
        "may be sent here too.",
        "content": {
            "application/json": {"schema": schema(json=True)},
            "application/x-www-form-urlencoded": {"schema": schema(json=False)},
        },
    }


def operation(
    summary: str,
    tag: str,
    *,
    parameters: list[dict[str, Any]],
    success: dict[str, Any],
    errors_: dict[str, Any],
    description: str | None = None,
    request_body: dict[str, Any] | None = None,
) -> dict[str, Any]:
    described: dict[str, Any] = {
        "summary": summary,
        "tags": [tag],
        "parameters": [FORMAT, *parameters],
        "responses": {"200": success, **errors_},
    }
    if description:
        described["description"] = description
    if request_body is not None:
        described["requestBody"] = request_body
    return described


def get_and_post(
    summary: str,
    tag: str,
    *,
    parameters: Parameters,
    required: list[str] | None = None,
    success: dict[str, Any],
    errors_: dict[str, Any],
    description: str | None = None,
) -> dict[str, Any]:
    """An operation answering GET (parameters in the query) and POST (in the body).

    ``parameters`` maps each name to its description and schema.
    """
    needed = required or []
    query = [
        query_parameter(
            name, text, _as_sent(value, name in needed, json=False), required=name in needed
        )
        for name, (text, value) in parameters.items()
    ]
    common: _Shared = {"success": success, "errors_": errors_, "description": description}
    return {
        "get": operation(summary, tag, parameters=query, **common),
        "post": operation(
            summary, tag, parameters=[], request_body=body(parameters, needed), **common
        ),
    }


class _Shared(TypedDict):
    """What the GET and the POST operation of one path have in common."""

    success: dict[str, Any]
    errors_: dict[str, Any]
    description: str | None


def _as_sent(schema: dict[str, Any], required: bool, *, json: bool) -> dict[str, Any]:
    """An optional parameter sent empty (or, in JSON, ``null``) counts as absent."""
    if required:
        return schema
    absent: list[dict[str, Any]] = []
    if schema.get("type") != "string" or "enum" in schema:  # free text may be empty already
        # (a digits pattern never matches the empty string)
        absent.append({"type": "string", "maxLength": 0})
    if json:
        absent.append({"type": "null"})
    return {"anyOf": [schema, *absent]} if absent else schema
