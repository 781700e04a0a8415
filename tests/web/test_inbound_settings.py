"""The dashboard's inbound settings: endpoints switched off and signatures required."""

from __future__ import annotations

import re

import httpx

from stoplist.domain.inbound_endpoints import InboundEndpoints
from tests.support import Server
from tests.web.conftest import csrf_token_of, sign_in_http

SETTINGS = "/dashboard/settings"
STOP = {"from": "+33612345678", "text": "STOP"}


def test_endpoints_are_switched_and_signed_from_the_settings_page(server: Server, account, db):
    inbound = f"/inbound/{account.account.inbound_token}"
    with httpx.Client(base_url=server.base_url, headers={"Accept-Language": "en"}) as client:
        sign_in_http(client, method="key", api_key=account.api_key)
        page = client.get(SETTINGS)
        assert page.status_code == 200
        # The copy buttons still have the whole URL: the token is read back, sealed at rest.
        assert f'value="{server.base_url}{inbound}/generic"' in page.text
        token = csrf_token_of(page)

        answer = client.post(f"{SETTINGS}/inbound/generic", data={"csrf_token": token})
        assert answer.status_code == 303
        assert client.post(f"{inbound}/generic", json=STOP).status_code == 404
        assert "this URL answers 404" in client.get(SETTINGS).text

        answer = client.post(
            f"{SETTINGS}/inbound/twilio",
            data={"csrf_token": token, "enabled": "on", "secret": "twilio-auth-token"},
        )
        assert answer.status_code == 303
        assert InboundEndpoints(db, account.account).get("twilio").secret == "twilio-auth-token"
        assert client.post(f"{inbound}/twilio", data={"From": "+33612345678"}).status_code == 403
        settings_page = client.get(SETTINGS).text
        assert "twilio-auth-token" not in settings_page  # never shown again

        made = client.post(
            f"{SETTINGS}/inbound/generic",
            data={"csrf_token": token, "enabled": "on", "generate": "on"},
        )
        assert made.status_code == 200
        secret = re.search(r'id="new-signing-secret" value="(whsec_[^"]+)"', made.text)
        assert secret and InboundEndpoints(db, account.account).get("generic").secret == (
            secret.group(1)
        )
        assert client.post(f"{inbound}/generic", json=STOP).status_code == 403

        refused = client.post(
            f"{SETTINGS}/inbound/vonage",
            data={"csrf_token": token, "enabled": "on", "secret": "s", "method": "crc32"},
        )
        assert refused.status_code == 422 and "md5hash" in refused.text
        assert (
            client.post(f"{SETTINGS}/inbound/nope", data={"csrf_token": token}).status_code == 404
        )

        cleared = client.post(
            f"{SETTINGS}/inbound/generic",
            data={"csrf_token": token, "enabled": "on", "unsigned": "on"},
        )
        assert cleared.status_code == 303
        assert client.post(f"{inbound}/generic", json=STOP).status_code == 200
