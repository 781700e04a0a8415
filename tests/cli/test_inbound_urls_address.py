"""``stoplist inbound urls`` without a public URL: the address it cannot know, said so.

A server started with ``serve --port 19001`` listens where no setting
says; the command takes the same ``--host`` and ``--port`` as ``serve``,
and says that its address comes from the settings.
"""

from __future__ import annotations

import pytest

from tests.conftest import AccountWithKey
from tests.support import run_cli_here


def test_urls_take_serve_s_host_and_port_and_say_where_the_address_came_from(
    account: AccountWithKey, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("STOPLIST_PUBLIC_URL", raising=False)
    monkeypatch.delenv("STOPLIST_PORT", raising=False)
    name, token = account.account.name, account.account.inbound_token
    shown = run_cli_here(
        "inbound", "urls", name, "--port", "19001", "--host", "0.0.0.0", "--database", database_url
    )
    assert f"http://127.0.0.1:19001/inbound/{token}/twilio" in shown.stdout
    assert "these URLs use http://127.0.0.1:19001, serve's address by the settings" in shown.stderr
    assert "--port" in shown.stderr and "--base-url" in shown.stderr
    bad = run_cli_here(
        "inbound", "urls", name, "--port", "eighty", "--database", database_url, check=False
    )
    assert bad.returncode == 2 and "--port" in bad.stderr
