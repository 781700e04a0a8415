"""The OpenAPI description served at ``/openapi.json``.

Written by hand because the compatible API reads its parameters from three
places at once, which no schema generator infers.
"""

from __future__ import annotations

from typing import Any

from stoplist import __version__
from stoplist.api import suppression_spec
from stoplist.api.openapi_parts import API_KEY, FORMAT, query_parameter


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
        "parameters": [API_KEY, FORMAT, *parameters],
        "responses": {"200": _ok(success), **{k: _error(v) for k, v in errors.items()}},
    }
    return {
        "get": operation,
        "post": {**operation, "requestBody": body},
    }


_AUTH_ERRORS = {
    "401": "Code 1 (no API key) or 10 (unknown or revoked key)",
    "400": "Code 90: malformed body",
    "413": "Body too large",
    "503": "Code 94: the database is unavailable; nothing was changed, try again",
}


def _webhook_paths() -> dict[str, Any]:
    ok = {"type": "object", "properties": {"success": {"type": "boolean"}}}
    errors = {**_AUTH_ERRORS, "400": "Code 91: missing or invalid parameter"}

    def operation(summary: str, parameters: list[dict[str, Any]]) -> dict[str, Any]:
        return _compatible(summary, summary + " (extension).", parameters, ok, errors, _body({}))

    url = query_parameter("url", "Absolute http(s) URL to POST events to", {"type": "string"})
    endpoint_id = query_parameter("id", "The endpoint's id", {"type": "integer"})
    status = query_parameter(
        "status", "pending, delivered, failed or cancelled", {"type": "string"}
    )
    limit = query_parameter("limit", "1..1000 (default 100)", {"type": "integer"})
    add = operation("Register a webhook endpoint; the answer carries its secret, once", [url])
    delete = operation("Remove a webhook endpoint", [endpoint_id])
    paths = {
        "/v1/webhooks/list": operation("List webhook endpoints", []),
        "/v1/webhooks/add": {"post": add["post"]},
        "/v1/webhooks/delete": {"post": delete["post"]},
        "/v1/webhooks/deliveries": operation("Recent webhook deliveries", [status, limit]),
    }
    for path in paths.values():
        for method in path.values():
            method["tags"] = ["webhooks"]
    return paths


def _inbound() -> dict[str, Any]:
    operation = {
        "summary": "Receive a reply forwarded by an SMS provider",
        "description": "Point the provider's inbound-message webhook here. `provider` is "
        "`smspartner`, `twilio` (form fields, `X-Twilio-Signature` checked when the "
        "account has a Twilio auth token), `vonage` or `generic`. Answers 2xx once the "
        "event is committed; Twilio gets an empty TwiML `<Response/>`.",
        "tags": ["inbound"],
        "security": [],
        "parameters": [
            {"name": "token", "in": "path", "required": True, "schema": {"type": "string"},
             "description": "The account's secret inbound token"},
            {"name": "provider", "in": "path", "required": True,
             "schema": {"type": "string", "enum": ["smspartner", "twilio", "vonage", "generic"]}},
        ],
        "responses": {
            "200": {"description": "Recorded (or a duplicate, or a part awaiting the others)"},
            "400": _error("Code 9 (sender is not a number), 90 or 91 (missing field)"),
            "403": _error("Twilio signature missing or wrong: nothing recorded"),
            "404": _error("Unknown token or provider"),
            "413": _error("Body too large"),
        },
    }  # fmt: skip
    return {"post": operation, "get": {**operation, "summary": "Vonage GET callbacks"}}


def paths() -> dict[str, Any]:
    phone = query_parameter(
        "phoneNumber",
        "The number, in E.164 or any national form of the account's region (alias phoneNumbers)",
        {"type": "string"},
    )
    stop_id = query_parameter("id", "The id (stopId) of an entry", {"type": "integer"})
    return {
        "/v1/stop-sms/list": _compatible(
            "List the stop list",
            "The whole list, ordered by id and streamed however long it is. "
            "With limit or after, one page ending with nextAfter (extension).",
            suppression_spec.LIST_PARAMETERS,
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
        "/v1/stop-sms/history": _compatible(
            "A number's history (extension)",
            "Every event of the number (opt-outs, opt-ins, help requests and replies, "
            "from SMS, the API, imports...), newest first by event time.",
            [phone],
            {"$ref": "#/components/schemas/History"},
            {**_AUTH_ERRORS, "400": "Code 2 (no number), 9 (invalid number) or 90"},
            _body({"apiKey": {"type": "string"}, "phoneNumber": {"type": "string"}}),
        ),
        **suppression_spec.paths(),
        "/inbound/{token}/{provider}": _inbound(),
        **_webhook_paths(),
        "/healthz": {
            "get": {
                "summary": "Liveness",
                "tags": ["operations"],
                "responses": {"200": {"description": "The process is up"}},
            }
        },
        "/readyz": {
            "get": {
                "summary": "Readiness",
                "description": "The database answers, its schema is at this version's "
                "migration and (SQLite) it takes writes; `checks` says what failed.",
                "tags": ["operations"],
                "responses": {
                    "200": {"description": "Ready"},
                    "503": {"description": "Not ready; `failed` names the failed checks"},
                },
            }
        },
        "/metrics": {
            "get": {
                "summary": "Prometheus metrics",
                "description": "Text exposition format. With `STOPLIST_METRICS_TOKEN` set, "
                "requires `Authorization: Bearer <token>`.",
                "tags": ["operations"],
                "responses": {
                    "200": {"description": "Metrics", "content": {"text/plain": {}}},
                    "401": {"description": "The metrics token is required"},
                },
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
                "History": {
                    "type": "object",
                    "properties": {
                        "success": {"type": "boolean"},
                        "code": {"type": "integer"},
                        "phoneNumber": {"type": "string"},
                        "stopped": {"type": "boolean"},
                        "stopId": {"type": "integer", "description": "Only when stopped"},
                        "nbData": {"type": "integer"},
                        "data": {"type": "array", "items": {"$ref": "#/components/schemas/Event"}},
                    },
                },
                "Event": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "type": {"enum": ["opt_out", "opt_in", "help", "reply"]},
                        "source": {"enum": ["sms", "api", "import", "sync", "dashboard", "cli"]},
                        "provider": {"type": ["string", "null"]},
                        "providerMessageId": {"type": ["string", "null"]},
                        "text": {"type": ["string", "null"]},
                        "eventAt": {"type": "string", "example": "2015-07-20 10:19:45"},
                        "receivedAt": {"type": "string", "example": "2015-07-20 10:19:47"},
                        "actor": {"type": ["string", "null"]},
                        "reason": {"type": ["string", "null"]},
                        "providerTime": {
                            "type": ["string", "null"],
                            "description": "The provider's send time as it came, when it was "
                            "not believed (unreadable, over 48 h old or over 5 min ahead); "
                            "the event is then dated by its arrival.",
                        },
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
