"""Vonage (Nexmo) inbound SMS: the SMS API's fields, by POST (JSON or form) or GET.

The Messages API's JSON (``from``, ``to``, ``text``, ``message_uuid``,
``timestamp``) is read too, so either kind of Vonage application can point
here.

With the account's signature secret set, requests must be signed as Vonage
signs them: the SMS API adds a ``sig`` parameter (MD5 hash by default, or
an MD5, SHA-1, SHA-256 or SHA-512 HMAC, as chosen in Vonage's dashboard)
over the other parameters; the Messages API sends ``Authorization: Bearer``
with a JWT signed (HS256) with the same secret, whose ``payload_hash`` is
the SHA-256 of the body.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import jwt
from starlette.requests import Request

from stoplist.domain.errors import InvalidSignature
from stoplist.domain.inbound import InboundMessage
from stoplist.domain.inbound_endpoints import EndpointSettings
from stoplist.inbound.common import (
    Provider,
    ProviderRequest,
    concat_part,
    international_sender,
    json_answer,
    message_text,
    provider_time,
    raw_time,
    text_field,
)

NAME = "vonage"


def parse(params: dict[str, Any]) -> InboundMessage:
    if "msisdn" not in params and "message_uuid" in params:
        return InboundMessage(
            provider=NAME,
            sender=international_sender(_sender(params.get("from"))),
            recipient=_sender(params.get("to")) or None,
            text=message_text(params, "text"),
            message_id=text_field(params, "message_uuid"),
            sent_at=provider_time(params.get("timestamp")),
            sent_at_raw=raw_time(params.get("timestamp")),
        )
    return InboundMessage(
        provider=NAME,
        sender=international_sender(text_field(params, "msisdn")),
        recipient=text_field(params, "to", required=False),
        text=message_text(params, "text"),
        message_id=text_field(params, "messageId", required=False),
        sent_at=provider_time(params.get("message-timestamp")),
        sent_at_raw=raw_time(params.get("message-timestamp")),
        part=concat_part(params),
    )


def verify(request: Request, settings: EndpointSettings, read: ProviderRequest) -> dict[str, Any]:
    """The JWT covers the body alone, so only the body is read; ``sig`` covers every
    parameter, wherever it came."""
    assert settings.secret is not None
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        _verify_jwt(token.strip(), settings.secret, read.raw_body)
        return read.body
    params = read.params
    signature = params.get("sig")
    if not isinstance(signature, str) or not signature:
        raise InvalidSignature()
    expected = sms_signature(params, settings.secret, settings.signature_method or "md5hash")
    if not hmac.compare_digest(signature.lower(), expected):
        raise InvalidSignature()
    return params


def sms_signature(params: dict[str, Any], secret: str, method: str) -> str:
    """The SMS API's ``sig`` over ``params`` (``sig`` itself left out), in lower-case hex.

    Each parameter, sorted by name, contributes ``&name=value`` with ``&``
    and ``=`` in values replaced by ``_``; ``md5hash`` appends the secret and
    hashes, the other methods are HMACs keyed with it.
    """
    signed = "".join(
        f"&{name}={_signed_value(params[name])}" for name in sorted(params) if name != "sig"
    ).encode()
    if method == "md5hash":
        return hashlib.md5(signed + secret.encode()).hexdigest()
    return hmac.new(secret.encode(), signed, method).hexdigest()


def _signed_value(value: object) -> str:
    return str(value).replace("&", "_").replace("=", "_")


def _verify_jwt(token: str, secret: str, body: bytes) -> None:
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"])
    except jwt.PyJWTError:
        raise InvalidSignature() from None
    digest = claims.get("payload_hash")
    if not isinstance(digest, str) or not hmac.compare_digest(
        digest.lower(), hashlib.sha256(body).hexdigest()
    ):
        raise InvalidSignature()


def _sender(value: object) -> str:
    """Messages API numbers are strings, or ``{"number": ...}`` objects in older versions."""
    if isinstance(value, dict):
        value = value.get("number")
    return str(value) if value is not None else ""


PROVIDER = Provider(NAME, parse, json_answer, methods=("GET", "POST"), verify=verify)
