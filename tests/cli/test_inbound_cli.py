"""``stoplist inbound`` and ``stoplist keywords`` as operators use them."""

from __future__ import annotations

import json

from stoplist.domain.accounts import Accounts
from stoplist.domain.inbound_endpoints import InboundEndpoints
from tests.support import run_cli_here


def test_urls_and_token_rotation(http, account, database_url):
    name = account.account.name
    urls = json.loads(
        run_cli_here(
            "inbound", "urls", name, "--base-url", "https://sl.example.com/",
            "--database", database_url, "--json",
        ).stdout
    )  # fmt: skip
    token = account.account.inbound_token
    assert urls == {
        provider: f"https://sl.example.com/inbound/{token}/{provider}"
        for provider in ("smspartner", "twilio", "vonage", "generic")
    }
    new_token = run_cli_here(
        "inbound", "rotate-token", name, "--database", database_url
    ).stdout.strip()
    assert new_token and new_token != token
    message = {"from": "+33612345678", "text": "stop"}
    assert http.post(f"/inbound/{token}/generic", json=message).status_code == 404
    assert http.post(f"/inbound/{new_token}/generic", json=message).status_code == 200


def test_urls_default_to_the_public_url_setting(account, database_url, monkeypatch):
    name, token = account.account.name, account.account.inbound_token
    monkeypatch.delenv("STOPLIST_PUBLIC_URL", raising=False)
    monkeypatch.setenv("STOPLIST_PORT", "9090")
    local = run_cli_here("inbound", "urls", name, "--database", database_url)
    assert f"http://127.0.0.1:9090/inbound/{token}/twilio" in local.stdout
    assert "STOPLIST_PUBLIC_URL is not set" in local.stderr

    monkeypatch.setenv("STOPLIST_PUBLIC_URL", "https://stoplist.example.com/")
    public = run_cli_here("inbound", "urls", name, "--database", database_url)
    assert f"https://stoplist.example.com/inbound/{token}/twilio" in public.stdout
    assert public.stderr == ""


def test_twilio_token_and_opt_in_switch(account, database_url, db):
    name = account.account.name
    run_cli_here("inbound", "twilio-token", name, "secret-auth-token", "--database", database_url)
    twilio = InboundEndpoints(db, account.account)
    assert twilio.get("twilio").secret == "secret-auth-token"
    run_cli_here("inbound", "twilio-token", name, "--clear", "--database", database_url)
    assert twilio.get("twilio").secret is None
    neither = run_cli_here("inbound", "twilio-token", name, "--database", database_url, check=False)
    assert neither.returncode != 0

    run_cli_here("inbound", "opt-in", name, "--disable", "--database", database_url)
    assert Accounts(db).get(name).opt_in_keywords_enabled is False
    run_cli_here("inbound", "opt-in", name, "--enable", "--database", database_url)
    assert Accounts(db).get(name).opt_in_keywords_enabled is True


def test_keywords_add_remove_apply_to_inbound_messages(http, account, database_url):
    name = account.account.name
    path = f"/inbound/{account.account.inbound_token}/generic"
    run_cli_here("keywords", "add", name, "Désabo", "plus de sms", "--database", database_url)
    run_cli_here("keywords", "remove", name, "END", "--force", "--database", database_url)
    listed = json.loads(
        run_cli_here("keywords", "list", name, "--database", database_url, "--json").stdout
    )
    mine = {row["keyword"]: (row["action"], row["origin"]) for row in listed}
    assert mine["desabo"] == ("opt_out", "account")
    assert mine["plus de sms"] == ("opt_out", "account")
    assert mine["end"] == ("none", "account")
    assert mine["stop"] == ("opt_out", "built-in")

    def kind(text: str, number: str) -> str:
        answer = http.post(path, json={"from": number, "text": text})
        return answer.json()["type"]

    assert kind("DÉSABO !", "+33612345671") == "opt_out"
    assert kind("Plus de SMS merci", "+33612345672") == "opt_out"
    assert kind("End", "+33612345673") == "reply"

    run_cli_here("keywords", "remove", name, "end", "--reset", "--database", database_url)
    assert kind("End", "+33612345674") == "opt_out"
    bad = run_cli_here("keywords", "add", name, "!!!", "--database", database_url, check=False)
    assert bad.returncode != 0
