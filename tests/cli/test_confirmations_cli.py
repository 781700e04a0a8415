"""``stoplist confirmations`` as operators use it, and what the server then answers."""

from __future__ import annotations

import json
import uuid

from stoplist.domain.confirmations import DEFAULT_TEXTS
from stoplist.records.events import EventKind
from tests.support import run_cli_here


def _twilio(http, account, text: str) -> str:
    number = f"+3361{uuid.uuid4().int % 10**7:07d}"
    form = {"From": number, "Body": text, "MessageSid": "SM" + uuid.uuid4().hex}
    return http.post(f"/inbound/{account.account.inbound_token}/twilio", data=form).text


def test_sender_texts_and_key_from_the_command_line(http, account, database_url):
    name = account.account.name
    shown = json.loads(
        run_cli_here("confirmations", "show", name, "--database", database_url, "--json").stdout
    )
    assert shown["sender"] == name and shown["enabled"] is True
    assert shown["smspartnerKey"] is None and shown["sentBy"] == "webhook answer"
    assert len(shown["texts"]) == 21  # three kinds in seven languages
    assert {t["language"] for t in shown["texts"]} == set(DEFAULT_TEXTS)
    assert not any(t["custom"] for t in shown["texts"])

    run_cli_here(
        "confirmations", "configure", name, "--sender", "Fromagerie", "--database", database_url
    )
    preview = run_cli_here(
        "confirmations", "set", name, "opt-out", "FR",
        "{sender} : c'est noté, plus aucun SMS.", "--database", database_url,
    ).stdout  # fmt: skip
    assert preview.strip() == "Fromagerie : c'est noté, plus aucun SMS."
    assert "<Message>Fromagerie : c'est noté, plus aucun SMS.</Message>" in _twilio(
        http, account, "STOP"
    )

    run_cli_here(
        "confirmations", "set", name, "opt_out", "fr", "--default", "--database", database_url
    )
    default = DEFAULT_TEXTS["fr"][EventKind.OPT_OUT].replace("{sender}", "Fromagerie")
    assert f"<Message>{default}</Message>" in _twilio(http, account, "STOP")

    key = "sp-" + uuid.uuid4().hex
    configured = run_cli_here(
        "confirmations", "configure", name, "--smspartner-key", "-", "--json",
        "--database", database_url, input=key + "\n",
    )  # fmt: skip
    assert key not in configured.stdout + configured.stderr
    described = json.loads(configured.stdout)
    assert described["smspartnerKey"] == "…" + key[-4:]
    assert described["sentBy"] == "smspartner"
    shown_text = run_cli_here("confirmations", "show", name, "--database", database_url).stdout
    assert key not in shown_text and key[-4:] in shown_text

    run_cli_here(
        "confirmations", "configure", name, "--no-smspartner-key", "--disable",
        "--database", database_url,
    )  # fmt: skip
    assert _twilio(http, account, "HELP").endswith("<Response/>")


def test_refusals_are_clear(account, database_url):
    name = account.account.name
    unknown = run_cli_here(
        "confirmations", "set", name, "opt_out", "xx", "texte", "--database", database_url,
        check=False,
    )  # fmt: skip
    assert unknown.returncode == 1
    assert "'xx'" in unknown.stderr and "en, fr, es, de, it, pt, nl" in unknown.stderr
    kind = run_cli_here(
        "confirmations", "set", name, "reply", "en", "text", "--database", database_url,
        check=False,
    )  # fmt: skip
    assert kind.returncode == 1 and "opt_out, opt_in, help" in kind.stderr
    long = run_cli_here(
        "confirmations", "set", name, "help", "en", "x" * 481, "--database", database_url,
        check=False,
    )  # fmt: skip
    assert long.returncode == 1 and "480" in long.stderr
    both = run_cli_here(
        "confirmations", "set", name, "help", "en", "text", "--default",
        "--database", database_url, check=False,
    )  # fmt: skip
    assert both.returncode == 1
