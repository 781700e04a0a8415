"""OpenAPI paths of the evidence extensions (one number's evidence, the event export).

Kept beside ``openapi.py`` so that each area describes its own endpoints.
"""

from __future__ import annotations

from typing import Any

from stoplist.api.openapi_parts import (
    PHONE_NUMBER,
    answer,
    errors,
    get_and_post,
    query_parameter,
    schema,
)
from stoplist.api.suppression_spec import DATE_SCHEMA
from stoplist.client import answers
from stoplist.domain.event_export import COLUMNS
from stoplist.domain.exports import FORMATS


def paths() -> dict[str, Any]:
    return {
        "/v1/stop-sms/evidence": get_and_post(
            "One number's evidence (extension)",
            "evidence",
            description="Every event of the number, oldest first in the account's hash "
            "chain: source, provider, provider message id, text, event and arrival times, "
            "whether a provider's signature was checked, who acted and why, and each "
            "event's chain proof (its hash, the previous event's, and whether the chain "
            "verifies up to it). The chain is checked from the account's first event.",
            parameters={"phoneNumber": ("The number (alias phoneNumbers)", PHONE_NUMBER)},
            required=["phoneNumber"],
            success=answer("The evidence", schema(answers.Evidence)),
            errors_=errors({"400": "Code 2 (no number), 9 (invalid number), 90"}),
        ),
        "/v1/events/export": {
            "get": {
                "summary": "The account's events as CSV or NDJSON, streamed (extension)",
                "tags": ["evidence"],
                "description": "Events whose event time is in [since, until), in chain "
                "order, with their chain links; times in UTC (ISO 8601, microseconds). In "
                "CSV, a cell of provider, providerMessageId, text, actor, reason or details "
                "that a spreadsheet would run as a formula gets one apostrophe in front: one "
                "that begins, after any apostrophes, with a tab, a carriage return, or "
                "=, +, - or @ after any whitespace. ndjson and json carry every value as stored.",
                "parameters": [
                    query_parameter(
                        "format",
                        "csv (default), ndjson or json; any other value is code 91",
                        {"type": "string", "enum": list(FORMATS)},
                    ),
                    query_parameter("since", "Event time at or after this", DATE_SCHEMA),
                    query_parameter("until", "Event time before this", DATE_SCHEMA),
                ],
                "responses": {
                    "200": {
                        "description": "CSV header " + ",".join(COLUMNS),
                        "content": {
                            "text/csv": {"schema": {"type": "string"}},
                            "application/x-ndjson": {"schema": {"type": "string"}},
                            "application/json": {"schema": {"type": "array"}},
                        },
                    },
                    **errors({"400": "Code 91: unknown format, or a bad date"}, json_only=True),
                },
            }
        },
    }
