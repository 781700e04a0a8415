"""The OpenAPI description served at ``/openapi.json``.

Written by hand because the compatible API reads its parameters from three
places at once, which no schema generator infers.
"""

from __future__ import annotations

from typing import Any

from stoplist import __version__

_API_KEY = {"$ref": "#/components/parameters/apiKey"}
_FORMAT = {"$ref": "#/components/parameters/format"}


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}},
            "application/xml": {"schema": {"type": "string"}},
        },
    }


def _ok(schema: dict[str, Any], description: str = "Success") -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/json": {"schema": schema},
            "application/xml": {"schema": {"type": "string"}},
        },
    }


def _body(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return {
        "required": False,
        "description": "Parameters may also be sent as a JSON body (whatever the "
        "Content-Type) or as a form; a later source overrides an earlier one.",
        "content": {
            "application/json": {"schema": schema},
            "application/x-www-form-urlencoded": {"schema": schema},
        },
    }


def _compatible(
    summary: str,
    description: str,
    parameters: list[dict[str, Any]],
    success: dict[str, Any],
    errors: dict[str, str],
    body: dict[str, Any],
) -> dict[str, Any]:
    operation = {
        "summary": summary,
        "description": description,
        "tags": ["stop-sms"],
        "parameters": [_API_KEY, _FORMAT, *parameters],
        "responses": {"200": _ok(success), **{k: _error(v) for k, v in errors.items()}},
    }
    return {
        "get": operation,
        "post": {**operation, "requestBody": body},
    }


def _query(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
    }


_AUTH_ERRORS = {
    "401": "Code 1 (no API key) or 10 (unknown or revoked key)",
    "400": "Code 90: malformed body",
    "413": "Body too large",
}


def paths() -> dict[str, Any]:
    phone = _query(
        "phoneNumber",
        "The number, in E.164 or any national form of the account's region (alias phoneNumbers)",
        {"type": "string"},
    )
    stop_id = _query("id", "The id (stopId) of an entry", {"type": "integer"})
    return {
        "/v1/stop-sms/list": _compatible(
            "List the stop list",
            "The whole list, ordered by id and streamed however long it is.",
            [],
            {"$ref": "#/components/schemas/StopList"},
            _AUTH_ERRORS,
            _body({"apiKey": {"type": "string"}, "_format": {"type": "string"}}),
        ),
        "/v1/stop-sms/add": _compatible(
            "Add a number to the stop list",
            "Answers code 3 with the existing stopId when the number is already listed.",
            [phone],
            {
                "type": "object",
                "properties": {
                    "success": {"type": "boolean"},
                    "code": {"type": "integer"},
                    "stopId": {"type": "integer"},
                },
            },
            {
                **_AUTH_ERRORS,
                "400": "Code 2 (no number), 9 (invalid number) or 90",
                "409": "Code 3: already on the list (body carries stopId)",
            },
            _body({"apiKey": {"type": "string"}, "phoneNumber": {"type": "string"}}),
        ),
        "/v1/stop-sms/delete": _compatible(
            "Remove an entry from the stop list",
            "The number's history keeps the removal as an event.",
            [stop_id],
            {
                "type": "object",
                "properties": {"success": {"type": "boolean"}, "code": {"type": "integer"}},
            },
            {
                **_AUTH_ERRORS,
                "400": "Code 3 (no id) or 90",
                "404": "Code 4: no such id in this account",
            },
            _body({"apiKey": {"type": "string"}, "id": {"type": "integer"}}),
        ),
        "/healthz": {
            "get": {
                "summary": "Liveness",
                "tags": ["operations"],
                "responses": {"200": {"description": "The process is up"}},
            }
        },
    }


def spec() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "stoplist",
            "version": __version__,
            "description": "SMS opt-out service compatible with the SMS Partner v1 "
            "stop-sms API. Authenticate with `apiKey` (query, JSON or form), "
            "`Authorization: Bearer <key>` or `X-Api-Key`. Add `_format=xml` for XML.",
        },
        "paths": paths(),
        "components": {
            "parameters": {
                "apiKey": {
                    "name": "apiKey",
                    "in": "query",
                    "required": False,
                    "description": "The account's API key (or use a header)",
                    "schema": {"type": "string"},
                },
                "format": {
                    "name": "_format",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string", "enum": ["json", "xml"]},
                },
            },
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "header": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
                "query": {"type": "apiKey", "in": "query", "name": "apiKey"},
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "properties": {
                        "success": {"type": "boolean", "const": False},
                        "code": {"type": "integer"},
                        "message": {"type": "string"},
                        "stopId": {"type": "integer"},
                    },
                    "required": ["success", "code", "message"],
                },
                "Stop": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "phoneNumber": {"type": "string", "example": "+33612345678"},
                        "createdAt": {"type": "string", "example": "2015-07-20 10:19:45"},
                    },
                },
                "StopList": {
                    "type": "object",
                    "properties": {
                        "success": {"type": "boolean"},
                        "code": {"type": "integer"},
                        "nbData": {"type": "integer"},
                        "data": {"type": "array", "items": {"$ref": "#/components/schemas/Stop"}},
                    },
                },
            },
        },
        "security": [{"bearer": []}, {"header": []}, {"query": []}],
    }
