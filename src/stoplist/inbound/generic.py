"""The generic format, for providers without an adapter and for scripts.

``{"from": ..., "to": ..., "text": ..., "id": ..., "timestamp": ISO 8601}``
(``to``, ``id`` and ``timestamp`` optional; without ``id`` every delivery is
a new message).
"""

from __future__ import annotations

from typing import Any

from stoplist.domain.inbound import InboundMessage
from stoplist.inbound.common import Provider, json_answer, message_text, provider_time, text_field

NAME = "generic"


def parse(params: dict[str, Any]) -> InboundMessage:
    return InboundMessage(
        provider=NAME,
        sender=text_field(params, "from") or "",
        recipient=text_field(params, "to", required=False),
        text=message_text(params, "text"),
        message_id=text_field(params, "id", required=False),
        sent_at=provider_time(params.get("timestamp")),
    )


PROVIDER = Provider(NAME, parse, json_answer)
