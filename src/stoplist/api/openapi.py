"""The OpenAPI description served at ``/openapi.json``.

The answers' schemas are generated from their models
(``stoplist.client.answers``); the paths and their parameters are written
by hand because the compatible API reads its parameters from three places
at once, which no schema generator infers.
"""

from __future__ import annotations

from typing import Any

from stoplist import __version__
from stoplist.api import evidence_spec, suppression_spec
from stoplist.api.openapi_parts import (
    ID,
    PHONE_NUMBER,
    answer,
    error,
    errors,
    get_and_post,
    integer,
    schema,
    schemas,
)
from stoplist.client import answers
from stoplist.domain.parameters import MAX_SMALL_ID


def _webhook_paths() -> dict[str, Any]:
    url = ("Absolute http(s) URL to POST events to", {"type": "string", "minLength": 1})
    endpoint_id = ("The endpoint's id", integer(1, MAX_SMALL_ID))
    status = (
        "Only deliveries in this state",
        {"type": "string", "enum": ["pending", "delivered", "failed", "cancelled"]},
    )
    limit = ("At most this many (default 100)", integer(1, 1000))
    invalid = {"400": "Code 91: missing or invalid parameter, 90: malformed body"}

    def both(
        summary: str,
        model: type[answers.Answer],
        parameters: dict[str, Any],
        required: list[str] | None = None,
    ) -> Any:
        return get_and_post(
            summary,
            "webhooks",
            parameters=parameters,
            required=required,
            success=answer("Success", schema(model)),
            errors_=errors(invalid),
            description=summary + " (extension).",
        )

    add = both(
        "Register a webhook endpoint; the answer carries its secret, once",
        answers.EndpointAdded,
        {"url": url},
        ["url"],
    )
    delete = both("Remove a webhook endpoint", answers.Done, {"id": endpoint_id}, ["id"])
    delete["post"]["responses"]["404"] = error("No such endpoint in this account")
    return {
        "/v1/webhooks/list": both("List webhook endpoints", answers.Endpoints, {}),
        "/v1/webhooks/add": {"post": add["post"]},
        "/v1/webhooks/delete": {"post": delete["post"]},
        "/v1/webhooks/deliveries": both(
            "Recent webhook deliveries", answers.Deliveries, {"status": status, "limit": limit}
        ),
    }


def _review_paths() -> dict[str, Any]:
    status = (
        "Which items (default pending)",
        {"type": "string", "enum": ["pending", "confirmed", "dismissed", "all"]},
    )
    limit = ("At most this many (default 100)", integer(1, 1000))
    after = ("Items after this id (the last id of the previous page)", ID)
    item_id = ("The item's id", ID)
    actor = ("Who decided (default `api`)", {"type": "string", "maxLength": 1000})
    reason = ("Why, for the history", {"type": "string", "maxLength": 1000})
    invalid = {"400": "Code 91: invalid parameter, 90: malformed body"}

    def decision(summary: str) -> Any:
        described = get_and_post(
            summary,
            "review",
            parameters={"id": item_id, "actor": actor, "reason": reason},
            required=["id"],
            success=answer("The item, decided", schema(answers.ReviewDecision)),
            errors_=errors(invalid),
            description=summary + " (extension). The decision is an event on the "
            "number's history, with `actor` and `reason`.",
        )["post"]
        described["responses"]["404"] = error("Code 95: no such item in this account")
        described["responses"]["409"] = error("Code 96: the item was decided already")
        return {"post": described}

    return {
        "/v1/review/list": get_and_post(
            "List possible opt-outs",
            "review",
            parameters={"status": status, "limit": limit, "after": after},
            success=answer("The queue, oldest first", schema(answers.ReviewQueue)),
            errors_=errors(invalid),
            description="Messages that asked to stop in other words than a keyword, queued "
            "because the account's reasonable-means mode is `review` (extension).",
        ),
        "/v1/review/confirm": decision(
            "Confirm a possible opt-out: the number is stopped as of the message's time"
        ),
        "/v1/review/dismiss": decision("Dismiss a possible opt-out: the message stays a reply"),
    }


def _inbound() -> dict[str, Any]:
    token = {
        "name": "token",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
        "description": "The account's secret inbound token",
    }
    described = {
        "summary": "Receive a reply forwarded by an SMS provider",
        "description": "Point the provider's inbound-message webhook here. `provider` is "
        "`smspartner`, `twilio` (form fields, `X-Twilio-Signature` checked when the "
        "account has a Twilio auth token), `vonage` or `generic`. Answers 2xx once the "
        "event is committed; Twilio gets an empty TwiML `<Response/>`. Only `vonage` "
        "answers GET. The JSON answer's `type` is `opt_out`, `opt_in`, `help` or "
        "`reply`, or `review` when the message asked to stop in other words and was "
        "queued for a person to decide (see `/v1/review/list`).",
        "tags": ["inbound"],
        "security": [],
        "parameters": [
            token,
            {"name": "provider", "in": "path", "required": True,
             "schema": {"type": "string", "enum": ["smspartner", "twilio", "vonage", "generic"]}},
        ],
        "responses": {
            "200": {
                "description": "Recorded (or a duplicate, or a part awaiting the others); "
                "Twilio gets TwiML instead",
                "content": {
                    "application/json": {"schema": schema(answers.Inbound)},
                    "text/xml": {"schema": {"type": "string", "description": "TwiML"}},
                },
            },
            "400": error("Code 9 (sender not a number), 90 or 91 (missing field)", json_only=True),
            "403": error("Twilio signature missing or wrong: nothing recorded", json_only=True),
            "404": error("Unknown token or provider", json_only=True),
            "405": error("Wrong method; `Allow` lists the right ones", json_only=True),
            "413": error("Body too large", json_only=True),
            "503": error(
                "Code 93: storage full, or 94: the database is unavailable (nothing was recorded)",
                json_only=True,
            ),
        },
    }  # fmt: skip
    vonage = {**described, "summary": "Vonage GET callbacks", "parameters": [
        token,
        {"name": "provider", "in": "path", "required": True,
         "schema": {"type": "string", "enum": ["vonage"]}},
    ]}  # fmt: skip
    return {"post": described, "get": vonage}


def _erase(phone: tuple[str, Any]) -> dict[str, Any]:
    text = {"type": "string", "maxLength": 1000}
    described = get_and_post(
        "Erase a number at its owner's request (extension)",
        "stop-sms",
        description="Removes the number and its texts from the list and its history, "
        "keeping only a keyed hash: the number stays stopped (check, filter, add, imports "
        "and inbound messages still find it) and keeps its stopId. A number not on the "
        "list is stopped first. Erasing it again changes nothing (`already`). Only an "
        "opt-in from the person, after the erasure, lifts it; `delete` of its entry is "
        "code 97.",
        parameters={
            "phoneNumber": phone,
            "actor": ("Who asked or acted (default `api`)", text),
            "reason": ("Why, for the history", text),
        },
        required=["phoneNumber"],
        success=answer("Erased", schema(answers.Erased)),
        errors_=errors({"400": "Code 2 (no number), 9 (invalid number), 91, 90"}),
    )
    return {"post": described["post"]}


def paths() -> dict[str, Any]:
    phone = ("The number (alias phoneNumbers)", PHONE_NUMBER)
    no_number = {"400": "Code 2 (no number), 9 (invalid number), 90 (malformed body)"}
    stop_id = ("The id (stopId) of an entry", ID)
    list_parameters = {
        parameter["name"]: (parameter["description"], parameter["schema"])
        for parameter in suppression_spec.LIST_PARAMETERS
    }
    return {
        "/v1/stop-sms/list": get_and_post(
            "List the stop list",
            "stop-sms",
            description="The whole list, ordered by id and streamed however long it is. "
            "With limit or after, one page ending with nextAfter (extension).",
            parameters=list_parameters,
            success=answer("The list", schema(answers.StopList)),
            errors_=errors({"400": "Code 91 (invalid paging parameter) or 90 (malformed body)"}),
        ),
        "/v1/stop-sms/add": get_and_post(
            "Add a number to the stop list",
            "stop-sms",
            description="Answers code 3 with the existing stopId when the number is listed.",
            parameters={"phoneNumber": phone},
            required=["phoneNumber"],
            success=answer("Added", schema(answers.Added)),
            errors_=errors(
                {**no_number, "409": "Code 3: already on the list (body carries stopId)"}
            ),
        ),
        "/v1/stop-sms/delete": get_and_post(
            "Remove an entry from the stop list",
            "stop-sms",
            description="The number's history keeps the removal as an event. An id that "
            "cannot exist (not a positive 64-bit integer) is not found either.",
            parameters={"id": stop_id},
            required=["id"],
            success=answer("Removed", schema(answers.Done)),
            errors_=errors(
                {
                    "400": "Code 3 (no id) or 90",
                    "404": "Code 4: no such id in this account",
                    "409": "Code 97: the entry's number was erased; it stays stopped",
                }
            ),
        ),
        "/v1/stop-sms/erase": _erase(phone),
        "/v1/stop-sms/history": get_and_post(
            "A number's history (extension)",
            "stop-sms",
            description="Every event of the number (opt-outs, opt-ins, help requests and "
            "replies, from SMS, the API, imports...), newest first by event time.",
            parameters={"phoneNumber": phone},
            required=["phoneNumber"],
            success=answer("The history", schema(answers.History)),
            errors_=errors(no_number),
        ),
        **suppression_spec.paths(),
        **evidence_spec.paths(),
        "/inbound/{token}/{provider}": _inbound(),
        **_webhook_paths(),
        **_review_paths(),
        "/healthz": {
            "get": {
                "summary": "Liveness",
                "tags": ["operations"],
                "security": [],
                "responses": {"200": {"description": "The process is up"}},
            }
        },
        "/readyz": {
            "get": {
                "summary": "Readiness",
                "description": "The database answers, its schema is at this version's "
                "migration and (SQLite) it takes writes; `checks` says what failed.",
                "tags": ["operations"],
                "security": [],
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
                "requires `Authorization: Bearer <token>` (not an API key).",
                "tags": ["operations"],
                "security": [],
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
                "format": {
                    "name": "_format",
                    "in": "query",
                    "required": False,
                    "description": "`xml` (any case) for the seed's <result><entry> XML; "
                    "any other value, or none, gives JSON, as the compatible API does",
                    "schema": {"type": "string", "examples": ["json", "xml"]},
                },
            },
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "header": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
                "query": {"type": "apiKey", "in": "query", "name": "apiKey"},
            },
            "schemas": schemas(),
        },
        "security": [{"bearer": []}, {"header": []}, {"query": []}],
    }
