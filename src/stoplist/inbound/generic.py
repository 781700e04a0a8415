"""The generic format, for providers without an adapter and for scripts.

``{"from": ..., "to": ..., "text": ..., "id": ..., "timestamp": ISO 8601}``
(``to``, ``id`` and ``timestamp`` optional; without ``id`` every delivery is
a new message). With a secret set for the account, requests must be signed
the Standard Webhooks way (``webhook-id``, ``webhook-timestamp``,
``webhook-signature``), checked with the ``standardwebhooks`` package, which
also refuses a timestamp more than five minutes away.
"""

from __future__ import annotations

from typing import Any

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError
from starlette.requests import Request

from stoplist.domain.errors import InvalidSignature
from stoplist.domain.inbound import InboundMessage
from stoplist.domain.inbound_endpoints import EndpointSettings
from stoplist.inbound.common import (
    Provider,
    ProviderRequest,
    json_answer,
    message_text,
    provider_time,
    raw_time,
    text_field,
)

NAME = "generic"


def parse(params: dict[str, Any]) -> InboundMessage:
    return InboundMessage(
        provider=NAME,
        sender=text_field(params, "from") or "",
        recipient=text_field(params, "to", required=False),
        text=message_text(params, "text"),
        message_id=text_field(params, "id", required=False),
        sent_at=provider_time(params.get("timestamp")),
        sent_at_raw=raw_time(params.get("timestamp")),
    )


def verify(request: Request, settings: EndpointSettings, read: ProviderRequest) -> dict[str, Any]:
    """The signature covers the body alone, so only the body is read."""
    assert settings.secret is not None
    headers = {name: request.headers.get(name, "") for name in _HEADERS}
    try:
        Webhook(settings.secret).verify(read.raw_body, headers, json_parse=False)
    except (WebhookVerificationError, ValueError):
        raise InvalidSignature() from None
    return read.body


_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")

PROVIDER = Provider(NAME, parse, json_answer, verify=verify)
