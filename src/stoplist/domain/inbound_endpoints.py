"""Which of an account's provider endpoints answer, and which must be signed.

Every provider has its own URL under the account's inbound token. Each can
be switched off (its URL then answers 404, exactly like a wrong token), and
each provider that signs its requests can be required to: Twilio with the
account's auth token (``X-Twilio-Signature``), Vonage with the account's
signature secret (the SMS API's ``sig`` parameter, or the Messages API's
JWT), the generic format with a Standard Webhooks secret. Requiring a
signature on one endpoint says nothing about the others: an account that
only uses Twilio should switch the rest off.
"""

from __future__ import annotations

from dataclasses import dataclass

from standardwebhooks import Webhook

from stoplist.domain import clock
from stoplist.domain.errors import (
    NotStandardWebhooksSecret,
    SecretLength,
    SecretRequired,
    UnknownProvider,
    UnknownSignatureMethod,
    UnsignedProvider,
)
from stoplist.domain.webhooks import generate_secret
from stoplist.records.models import Account
from stoplist.storage import inbound_endpoints as store
from stoplist.storage.database import Database

PROVIDER_NAMES = ("smspartner", "twilio", "vonage", "generic")
INBOUND_PATH = "/inbound/{token}/{provider}"
"""Where a provider posts an account's messages: the route's pattern, and the URL's template."""
SIGNATURE_METHODS: dict[str, tuple[str, ...]] = {
    "twilio": ("twilio",),
    "vonage": ("md5hash", "md5", "sha1", "sha256", "sha512"),
    "generic": ("standard-webhooks",),
}
"""How each provider can sign; the first is the default. SMS Partner does not sign."""
MAX_SECRET_LENGTH = 500


@dataclass(frozen=True, slots=True)
class EndpointSettings:
    provider: str
    enabled: bool = True
    secret: str | None = None
    """Set: every request must be signed with it."""
    signature_method: str | None = None

    @property
    def signed(self) -> bool:
        return self.secret is not None


class InboundEndpoints:
    """One account's provider endpoints."""

    def __init__(self, db: Database, account: Account) -> None:
        self.db = db
        self.account = account

    def get(self, provider: str) -> EndpointSettings:
        _check_provider(provider)
        with self.db.read() as conn:
            found = store.find(conn, self.account.id, provider)
        return EndpointSettings(provider, **found) if found else EndpointSettings(provider)

    def all(self) -> list[EndpointSettings]:
        return [self.get(provider) for provider in PROVIDER_NAMES]

    def set_enabled(self, provider: str, enabled: bool) -> EndpointSettings:
        _check_provider(provider)
        self._save(provider, enabled=enabled)
        return self.get(provider)

    def require_signatures(
        self, provider: str, secret: str | None = None, method: str | None = None
    ) -> tuple[EndpointSettings, str]:
        """Refuse unsigned requests from now on; returns the settings and the secret.

        Without ``secret`` one is made (a Standard Webhooks ``whsec_...``
        secret, for the generic endpoint); Twilio and Vonage give theirs.
        """
        _check_provider(provider)
        methods = SIGNATURE_METHODS.get(provider)
        if methods is None:
            raise UnsignedProvider(provider)
        method = (method or methods[0]).strip().lower()
        if method not in methods:
            raise UnknownSignatureMethod(provider, tuple(methods), method)
        if secret is None:
            if provider != "generic":
                raise SecretRequired(provider)
            secret = generate_secret()
        secret = secret.strip()
        if not secret or len(secret) > MAX_SECRET_LENGTH:
            raise SecretLength(MAX_SECRET_LENGTH)
        if provider == "generic":
            _check_standard_webhooks_secret(secret)
        self._save(provider, secret=secret, signature_method=method)
        return self.get(provider), secret

    def stop_requiring_signatures(self, provider: str) -> EndpointSettings:
        _check_provider(provider)
        self._save(provider, secret=None, signature_method=None)
        return self.get(provider)

    def _save(self, provider: str, **values: object) -> None:
        with self.db.write() as conn:
            store.save(conn, self.account.id, provider, clock.now_us(), **values)


def inbound_url(base: str, token: str, provider: str) -> str:
    """The address to give ``provider`` for the account whose inbound token is ``token``.

    ``base`` is the server's public root, without a trailing slash; the
    dashboard and the CLI both print these, the inbound routes serve them.
    """
    return base + INBOUND_PATH.format(token=token, provider=provider)


def _check_provider(provider: str) -> None:
    if provider not in PROVIDER_NAMES:
        raise UnknownProvider(provider, tuple(PROVIDER_NAMES))


def _check_standard_webhooks_secret(secret: str) -> None:
    try:
        Webhook(secret)
    except Exception:  # the library raises whatever base64 decoding raised
        raise NotStandardWebhooksSecret() from None
