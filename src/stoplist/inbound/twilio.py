"""Twilio Programmable Messaging: form fields, signed with ``X-Twilio-Signature``.

When the account gives its Twilio auth token, every request must carry a valid
signature, checked with the ``twilio`` package's own validator against the
URL Twilio called: that is the request's URL, or ``STOPLIST_PUBLIC_URL`` plus
its path when stoplist sits behind a proxy that changes scheme or host.
Twilio's ``OptOutType`` (set by Advanced Opt-Out) wins over our reading of
the text. The answer is an empty TwiML document: stoplist sends no reply.
"""

from __future__ import annotations

import os
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from twilio.request_validator import RequestValidator

from stoplist.domain.events import EventKind
from stoplist.domain.inbound import InboundMessage, Outcome
from stoplist.domain.inbound_endpoints import EndpointSettings
from stoplist.inbound.common import (
    InvalidSignature,
    Provider,
    Request_,
    message_text,
    text_field,
)

NAME = "twilio"
PUBLIC_URL_ENV = "STOPLIST_PUBLIC_URL"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'

_OPT_OUT_TYPES = {
    "STOP": EventKind.OPT_OUT,
    "START": EventKind.OPT_IN,
    "HELP": EventKind.HELP,
}


def parse(params: dict[str, Any]) -> InboundMessage:
    return InboundMessage(
        provider=NAME,
        sender=_address(text_field(params, "From") or ""),
        recipient=_address(text_field(params, "To", required=False) or "") or None,
        text=message_text(params, "Body"),
        message_id=text_field(params, "MessageSid", "SmsSid", "SmsMessageSid", required=False),
        forced=_OPT_OUT_TYPES.get(str(params.get("OptOutType", "")).strip().upper()),
    )


def verify(request: Request, settings: EndpointSettings, read: Request_) -> None:
    assert settings.secret is not None
    signature = request.headers.get("x-twilio-signature", "")
    validator = RequestValidator(settings.secret)
    if not signature or not validator.validate(signed_url(request), read.body, signature):
        raise InvalidSignature()


def signed_url(request: Request) -> str:
    public = os.environ.get(PUBLIC_URL_ENV, "").rstrip("/")
    if not public:
        return str(request.url)
    query = request.url.query
    return public + request.url.path + (f"?{query}" if query else "")


def answer(outcome: Outcome) -> Response:
    return Response(EMPTY_TWIML, media_type="text/xml")


def _address(value: str) -> str:
    """``whatsapp:+336...`` and the like carry the number after the channel."""
    return value.split(":", 1)[1] if ":" in value else value


PROVIDER = Provider(NAME, parse, answer, verify=verify)
