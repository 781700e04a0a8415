"""Vonage (Nexmo) inbound SMS: the SMS API's fields, by POST (JSON or form) or GET.

The Messages API's JSON (``from``, ``to``, ``text``, ``message_uuid``,
``timestamp``) is read too, so either kind of Vonage application can point
here.
"""

from __future__ import annotations

from typing import Any

from stoplist.domain.inbound import InboundMessage
from stoplist.inbound.common import (
    Provider,
    concat_part,
    json_answer,
    message_text,
    provider_time,
    text_field,
)

NAME = "vonage"


def parse(params: dict[str, Any]) -> InboundMessage:
    if "msisdn" not in params and "message_uuid" in params:
        return InboundMessage(
            provider=NAME,
            sender=_sender(params.get("from")),
            recipient=_sender(params.get("to")) or None,
            text=message_text(params, "text"),
            message_id=text_field(params, "message_uuid"),
            sent_at=provider_time(params.get("timestamp")),
        )
    return InboundMessage(
        provider=NAME,
        sender=text_field(params, "msisdn") or "",
        recipient=text_field(params, "to", required=False),
        text=message_text(params, "text"),
        message_id=text_field(params, "messageId", required=False),
        sent_at=provider_time(params.get("message-timestamp")),
        part=concat_part(params),
    )


def _sender(value: object) -> str:
    """Messages API numbers are strings, or ``{"number": ...}`` objects in older versions."""
    if isinstance(value, dict):
        value = value.get("number")
    return str(value) if value is not None else ""


PROVIDER = Provider(NAME, parse, json_answer, methods=("GET", "POST"))
