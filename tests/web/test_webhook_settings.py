"""Adding a webhook endpoint from the dashboard: refused URLs say why, in the page's language."""

from __future__ import annotations

import httpx

from stoplist.domain.webhooks import Webhooks
from tests.support import Server
from tests.web.conftest import csrf_token_of, sign_in_http


def _add(client: httpx.Client, url: str) -> httpx.Response:
    token = csrf_token_of(client.get("/dashboard/settings"))
    return client.post("/dashboard/settings/webhooks", data={"csrf_token": token, "url": url})


def test_refused_endpoint_urls_are_explained(strict_server: Server, db, account):
    for language, expected in (
        ("en", "Webhook URL refused: the address is loopback, private"),
        ("fr", "URL de webhook refusée : l&#39;adresse est locale, privée"),
    ):
        headers = {"Accept-Language": language}
        with httpx.Client(base_url=strict_server.base_url, headers=headers) as client:
            sign_in_http(client, method="key", api_key=account.api_key)
            answer = _add(client, "http://169.254.169.254/latest/meta-data/")
            assert answer.status_code == 422
            assert expected in answer.text
            injected = _add(client, "https://crm.example/x\r\nX-Injected: yes")
            assert injected.status_code == 422
    assert Webhooks(db, account.account).list() == []
