"""Checking that an event posted to you really comes from your stoplist server.

stoplist signs outgoing events the Standard Webhooks way (``webhook-id``,
``webhook-timestamp`` and ``webhook-signature`` headers, HMAC-SHA256 over
``id.timestamp.body``), so any Standard Webhooks library can verify them;
this is the one-call version.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from standardwebhooks import Webhook

from stoplist.client.errors import StoplistError


class InvalidWebhook(StoplistError):
    """The event's signature, timestamp or headers do not check out: drop it."""


def verify_webhook(body: bytes | str, headers: Mapping[str, str], secret: str | bytes) -> Any:
    """The event's parsed JSON body, once its signature and timestamp are checked.

    ``body`` must be the raw bytes as received (before any JSON parsing), and
    ``secret`` the endpoint's ``whsec_...`` secret. Events older or newer than
    five minutes are refused, which stops replays.
    """
    text = body.decode() if isinstance(body, bytes) else body
    try:
        webhook = Webhook(secret)
        webhook.verify(text, dict(headers), json_parse=False)
    except Exception as exc:
        raise InvalidWebhook(f"webhook verification failed: {exc}") from None
    try:
        return json.loads(text)
    except ValueError:
        raise InvalidWebhook("webhook body is not JSON") from None
