"""French opt-out words through the real server, on an account in the default review mode.

ANNULER, QUITTER and FIN sent as the whole message stop a number as CANCEL,
QUIT and END do in English, and "Réponse STOP" (copied from "Répondez STOP")
is STOP; the same words inside an ordinary reply keep it a reply, and queue
nothing.
"""

from __future__ import annotations

import pytest

OPT_OUTS = [
    "ANNULER",
    "QUITTER",
    "FIN",
    "Fin.",
    "Réponse STOP",
    "reponse stop",
    "Réponse : STOP",
    "STOP svp",
    "stop merci",
    "Annuler merci",
]
REPLIES = [
    "fin de semaine ça vous va ?",
    "annuler mon rdv de demain",
    "je quitte le bureau à 18h",
    "on se voit en fin de journée",
    "réponse demain matin",
]


def _post(http, account, number: str, text: str) -> dict[str, object]:
    path = f"/inbound/{account.account.inbound_token}/generic"
    answer = http.post(path, json={"from": number, "text": text})
    assert answer.status_code == 200, answer.text
    return answer.json()


@pytest.mark.parametrize("text", OPT_OUTS)
def test_french_opt_out_words_stop_the_number(http, account, text):
    assert (account.account.default_region, account.account.reasonable_means) == ("FR", "review")
    number = f"+336123457{OPT_OUTS.index(text):02d}"
    answer = _post(http, account, number, text)
    assert (answer["type"], answer["stopped"]) == ("opt_out", True)
    stops = http.get("/v1/stop-sms/list", params={"apiKey": account.api_key}).json()["data"]
    assert [entry["phoneNumber"] for entry in stops] == [number]


def test_ordinary_replies_with_those_words_stay_replies(http, account):
    for index, text in enumerate(REPLIES):
        answer = _post(http, account, f"+336123458{index:02d}", text)
        assert (answer["type"], answer["stopped"]) == ("reply", False), text
    assert http.get("/v1/stop-sms/list", params={"apiKey": account.api_key}).json()["data"] == []
    queue = http.get("/v1/review/list", params={"apiKey": account.api_key}).json()
    assert queue["pending"] == 0
