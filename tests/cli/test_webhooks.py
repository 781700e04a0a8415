"""``stoplist webhooks add`` refuses what the API refuses, with the reason."""

from __future__ import annotations

from stoplist.domain.webhook_urls import ALLOW_PRIVATE_ENV
from stoplist.domain.webhooks import Webhooks
from tests.support import run_cli


def test_refused_urls_exit_with_the_reason(db, database_url, account):
    name = account.account.name
    strict = {ALLOW_PRIVATE_ENV: ""}
    for url, why in (
        ("http://169.254.169.254/latest/meta-data/", "the address is loopback, private"),
        ("http://crm.example/x\r\nX: yes", "the URL contains spaces or control characters"),
        ("http://admin:pw@crm.example/x", "the URL must not contain a user name or password"),
    ):
        result = run_cli("webhooks", "add", name, url, "--database", database_url, env=strict,
                         check=False)  # fmt: skip
        assert result.returncode == 1
        assert f"error: Webhook URL refused: {why}" in result.stderr
        assert "whsec_" not in result.stdout
    assert Webhooks(db, account.account).list() == []

    allowed = run_cli(
        "webhooks", "add", name, "http://10.0.0.1/hook", "--database", database_url,
        env={ALLOW_PRIVATE_ENV: "1"},
    )  # fmt: skip
    assert allowed.stdout.startswith("whsec_")
