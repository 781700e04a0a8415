"""Twilio Programmable Messaging: form fields, signed with ``X-Twilio-Signature``.

When the account gives its Twilio auth token, every request must carry a valid
signature, checked with the ``twilio`` package's own validator against the
URL Twilio called: the public URL of the request (``STOPLIST_PUBLIC_URL`` or
what a trusted proxy says, plus its path; see ``stoplist.http.proxy``).
Twilio's ``OptOutType`` (set by Advanced Opt-Out) wins over our reading of
the text. The answer is TwiML: the confirmation due (``domain.confirmations``)
as a ``<Message>``, which Twilio sends back to the person, or an empty
``<Response/>`` when none is due or stoplist sends it itself.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from stoplist.domain.errors import InvalidSignature
from stoplist.domain.inbound import InboundMessage, Outcome
from stoplist.domain.inbound_endpoints import EndpointSettings
from stoplist.http.proxy import public_url
from stoplist.inbound.common import (
    Provider,
    ProviderRequest,
    message_text,
    text_field,
)
from stoplist.records.events import EventKind

NAME = "twilio"
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


def verify(request: Request, settings: EndpointSettings, read: ProviderRequest) -> dict[str, Any]:
    """The signature covers the whole URL, query string included, and the form."""
    assert settings.secret is not None
    signature = request.headers.get("x-twilio-signature", "")
    validator = RequestValidator(settings.secret)
    if not signature or not validator.validate(public_url(request), read.body, signature):
        raise InvalidSignature()
    return read.params


def answer(outcome: Outcome) -> Response:
    text = outcome.reply.inline if outcome.reply else None
    if text is None:
        return Response(EMPTY_TWIML, media_type="text/xml")
    twiml = MessagingResponse()
    twiml.message(text)
    return Response(str(twiml), media_type="text/xml")


def _address(value: str) -> str:
    """``whatsapp:+336...`` and the like carry the number after the channel."""
    return value.split(":", 1)[1] if ":" in value else value


PROVIDER = Provider(NAME, parse, answer, verify=verify)
