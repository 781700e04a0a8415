"""SMS Partner: short-number STOPs and long-number replies.

Short numbers post ``{"type": "stop"|"response", "phone_number", "text",
"message_id"}``; ``type: "stop"`` means SMS Partner already decided it is an
opt-out, whatever the text. Long numbers post Vonage-style fields
(``msisdn``, ``to``, ``messageId``, ``text``, ``message-timestamp``, and
``concat-*`` for long messages), JSON or form-encoded.
"""

from __future__ import annotations

from typing import Any

from stoplist.domain.inbound import InboundMessage
from stoplist.inbound.common import (
    Provider,
    concat_part,
    international_sender,
    json_answer,
    message_text,
    provider_time,
    raw_time,
    text_field,
)
from stoplist.records.events import EventKind

NAME = "smspartner"


def parse(params: dict[str, Any]) -> InboundMessage:
    if "phone_number" in params:
        return _short_number(params)
    return _long_number(params)


def _short_number(params: dict[str, Any]) -> InboundMessage:
    kind = str(params.get("type", "")).strip().lower()
    return InboundMessage(
        provider=NAME,
        sender=text_field(params, "phone_number") or "",
        text=message_text(params, "text", "message"),
        message_id=text_field(params, "message_id", "messageId", required=False),
        sent_at=provider_time(params.get("date") or params.get("timestamp")),
        sent_at_raw=raw_time(params.get("date") or params.get("timestamp")),
        forced=EventKind.OPT_OUT if kind == "stop" else None,
    )


def _long_number(params: dict[str, Any]) -> InboundMessage:
    return InboundMessage(
        provider=NAME,
        sender=international_sender(text_field(params, "msisdn", "from")),
        recipient=text_field(params, "to", required=False),
        text=message_text(params, "text"),
        message_id=text_field(params, "messageId", "message_id", required=False),
        sent_at=provider_time(params.get("message-timestamp")),
        sent_at_raw=raw_time(params.get("message-timestamp")),
        part=concat_part(params),
    )


PROVIDER = Provider(NAME, parse, json_answer)
