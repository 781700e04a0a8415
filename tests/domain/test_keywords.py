"""The keyword engine, message by message, in the seven built-in languages."""

from __future__ import annotations

import pytest

from stoplist.domain.keywords import KeywordSet, classify, normalize_keyword, normalize_text
from stoplist.records.events import EventKind

OUT = EventKind.OPT_OUT
IN = EventKind.OPT_IN
HELP = EventKind.HELP
REPLY = EventKind.REPLY

CASES: list[tuple[str, EventKind]] = [
    # English: the keyword alone, any case, with punctuation, emoji and suffixes
    ("STOP", OUT),
    ("Stop", OUT),
    ("stop", OUT),
    ("sToP", OUT),
    ("  stop  ", OUT),
    ("Stop.", OUT),
    ("Stop!", OUT),
    ("STOP!!!", OUT),
    ("stop?", OUT),
    ("'stop'", OUT),
    ('"STOP"', OUT),
    ("Stop. Thank you", OUT),
    ("Stop, thanks", OUT),
    ("stop please", OUT),
    ("Please stop", OUT),
    ("STOP 36180", OUT),
    ("stop 12345", OUT),
    ("STOP SMS", OUT),
    ("stop texts", OUT),
    ("Stop all messages", OUT),
    ("stop now", OUT),
    ("🛑 STOP", OUT),
    ("STOP 🛑🛑", OUT),
    ("stop 🙏", OUT),
    ("S.T.O.P.", OUT),
    ("ＳＴＯＰ", OUT),
    ("STOPALL", OUT),
    ("stop all", OUT),
    ("Unsubscribe", OUT),
    ("unsubscribe me please", OUT),
    ("UNSUB", OUT),
    ("Cancel", OUT),
    ("END", OUT),
    ("quit", OUT),
    ("Revoke", OUT),
    ("OPTOUT", OUT),
    ("opt-out", OUT),
    ("Opt out", OUT),
    ("remove me", OUT),
    ("Hi, stop", OUT),
    ("stop stop stop", OUT),
    ("OK stop", OUT),
    ("Thanks, stop", OUT),
    ("STOP to 36180", OUT),
    ("stop at 5", REPLY),
    ("OK, stop the car", REPLY),
    ("We have got to STOP this terrible bill", REPLY),
    ("Bus stop at 5?", REPLY),
    ("Don't stop me now", REPLY),
    ("Please don't stop", REPLY),
    ("stop the car", REPLY),
    ("I want to cancel my order", REPLY),
    ("The end", REPLY),
    ("Stop calling me at work, it's rude", REPLY),
    ("stops", REPLY),
    ("stopped", REPLY),
    ("nonstop", REPLY),
    ("Thanks", REPLY),
    ("", REPLY),
    ("🛑", REPLY),
    ("...", REPLY),
    ("START", IN),
    ("start.", IN),
    ("Unstop", IN),
    ("resume please", IN),
    ("HELP", HELP),
    ("help?", HELP),
    ("Info", HELP),
    ("Help me with my order", REPLY),
    ("stop help", REPLY),
    # French
    ("ARRET", OUT),
    ("ARRÊT !", OUT),
    ("Arrêt", OUT),
    ("arrêt svp", OUT),
    ("arrête", OUT),
    ("ARRETER", OUT),
    ("Arrêter merci", OUT),
    ("arrêtez", OUT),
    ("stop svp", OUT),
    ("Stop merci", OUT),
    ("STOP SVP MERCI", OUT),
    ("stop merci beaucoup", OUT),
    ("Stop pub", OUT),
    ("STOP PUB 36180", OUT),
    ("stop sms", OUT),
    ("Bonjour, stop", OUT),
    ("Bonjour stop merci", OUT),
    ("DESABONNER", OUT),
    ("désabonner", OUT),
    ("Désabonnement", OUT),
    ("DÉSINSCRIRE", OUT),
    ("desinscrire", OUT),
    ("Désinscription svp", OUT),
    ("stp stop", OUT),
    ("stop tout", OUT),
    ("Stop moi", OUT),
    ("Stop s'il vous plaît", OUT),
    ("S'il te plaît, stop", OUT),
    ("Stop, s.v.p.", OUT),
    ("S.T.O.P. merci", OUT),
    ("STOP au 36180", OUT),
    ("STOP36180", OUT),
    ("stop pub 36180", OUT),
    ("Merci stop", OUT),
    ("OK stop", OUT),
    ("Stop merci bcp", OUT),
    ("Stop merci bonne journée", OUT),
    ("Stop, merci d'avance", OUT),
    ("Stop au coin de la rue", REPLY),
    ("Merci pour le stop", REPLY),
    ("Stop à 17h ?", REPLY),
    ("Arrêtez de m'envoyer des messages", REPLY),
    ("Il faut arrêter ça", REPLY),
    ("Je veux un arrêt de bus", REPLY),
    ("On s'arrête où ?", REPLY),
    ("stop à la pub mais pas aux promos du samedi", REPLY),
    ("NONARRET", IN),
    ("non arrêt", IN),
    ("Non-Arrêt", IN),
    ("AIDE", HELP),
    ("aide svp", HELP),
    ("infos", HELP),
    ("Merci", REPLY),
    ("oui", REPLY),
    # Spanish
    ("BAJA", OUT),
    ("baja", OUT),
    ("Baja, gracias", OUT),
    ("baja por favor", OUT),
    ("Por favor, baja", OUT),
    ("PARAR", OUT),
    ("Parar 36180", OUT),
    ("detener", OUT),
    ("CANCELAR", OUT),
    ("cancelar mensajes", OUT),
    ("Hola, stop", OUT),
    ("dar de baja", OUT),
    ("Darme de baja", OUT),
    ("¡Baja!", OUT),
    ("¿Puedo darme de baja mañana?", REPLY),
    ("Quiero cancelar la reserva", REPLY),
    ("Voy a parar en la tienda", REPLY),
    ("ALTA", IN),
    ("AYUDA", HELP),
    ("ayuda por favor", HELP),
    ("información", HELP),
    ("Hola", REPLY),
    # German
    ("STOPP", OUT),
    ("Stopp!", OUT),
    ("stopp bitte", OUT),
    ("Stopp, danke schön", OUT),
    ("Bitte stopp", OUT),
    ("ABMELDEN", OUT),
    ("abmelden bitte", OUT),
    ("Abbestellen", OUT),
    ("halt", OUT),
    ("Kündigen", OUT),
    ("Hallo, abmelden", OUT),
    ("STOP Werbung", OUT),
    ("Ich möchte mich abmelden", REPLY),
    ("Halt die Klappe und hör zu", REPLY),
    ("Wann hält der Bus?", REPLY),
    ("ANMELDEN", IN),
    ("Hilfe", HELP),
    ("HILFE!", HELP),
    ("Danke", REPLY),
    # Italian
    ("FERMA", OUT),
    ("ferma grazie", OUT),
    ("BASTA", OUT),
    ("Basta!", OUT),
    ("basta messaggi", OUT),
    ("CANCELLA", OUT),
    ("cancellami", OUT),
    ("Disiscrivi", OUT),
    ("stop per favore", OUT),
    ("Ciao, stop", OUT),
    ("Basta con queste promozioni", REPLY),
    ("Ferma la macchina", REPLY),
    ("AIUTO", HELP),
    ("Grazie", REPLY),
    # Portuguese
    ("PARAR", OUT),
    ("parar por favor", OUT),
    ("SAIR", OUT),
    ("Sair, obrigado", OUT),
    ("cancelar", OUT),
    ("Pare", OUT),
    ("descadastrar", OUT),
    ("Olá, sair", OUT),
    ("Quero sair mais cedo hoje", REPLY),
    ("Pare de ligar no domingo", REPLY),
    ("AJUDA", HELP),
    ("Obrigada", REPLY),
    # Dutch
    ("STOP", OUT),
    ("stop alstublieft", OUT),
    ("Stop aub", OUT),
    ("AFMELDEN", OUT),
    ("afmelden, dank je", OUT),
    ("Uitschrijven", OUT),
    ("STOPPEN", OUT),
    ("opzeggen", OUT),
    ("Hoi, stop", OUT),
    ("Stop alsjeblieft", OUT),
    ("Stop a.u.b.", OUT),
    ("Stop, dank je wel", OUT),
    ("Ik wil me afmelden voor de nieuwsbrief", REPLY),
    ("Wanneer stoppen we?", REPLY),
    ("AANMELDEN", IN),
    ("HULP", HELP),
    ("Bedankt", REPLY),
    # French CANCEL, QUIT and END, and "Réponse STOP" copied from "Répondez STOP"
    ("ANNULER", OUT),
    ("Quitter.", OUT),
    ("FIN", OUT),
    ("fin merci", OUT),
    ("Réponse STOP", OUT),
    ("reponse: stop svp", OUT),
    ("Reply STOP", OUT),
    ("fin de semaine ça vous va ?", REPLY),
    ("annuler mon rdv de demain", REPLY),
    ("je quitte le bureau à 18h", REPLY),
    ("C'est la fin", REPLY),
    ("Réponse", REPLY),
    ("réponse demain", REPLY),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_classify(text: str, expected: EventKind) -> None:
    assert classify(text).kind is expected


def test_the_table_is_big_enough() -> None:
    assert len(CASES) >= 150


def test_normalize_text_drops_accents_case_punctuation_and_emoji() -> None:
    assert normalize_text("  ARRÊT !!! 🛑 ") == "arret"
    assert normalize_text("Désinscrire, s'il vous plaît") == "desinscrire s il vous plait"
    assert normalize_text("Kündigen. Straße") == "kundigen strasse"
    assert normalize_text("S.T.O.P") == "stop"


def test_keyword_is_reported() -> None:
    assert classify("Arrêt svp").keyword == "arret"
    assert classify("hello world").keyword is None


def test_an_account_adds_removes_and_redefines_keywords() -> None:
    keywords = KeywordSet.built_in().with_overrides(
        {
            normalize_keyword("Désabo"): EventKind.OPT_OUT,
            normalize_keyword("end"): None,
            normalize_keyword("yes"): EventKind.OPT_IN,
            normalize_keyword("info"): EventKind.OPT_OUT,
        }
    )
    assert keywords.classify("DESABO !").kind is OUT
    assert keywords.classify("End").kind is REPLY
    assert keywords.classify("Yes").kind is IN
    assert keywords.classify("info").kind is OUT
    assert keywords.classify("stop").kind is OUT
    # The built-in set is untouched.
    assert classify("End").kind is OUT
    assert classify("Désabo").kind is REPLY


def test_multi_word_keywords_added_by_an_account() -> None:
    keywords = KeywordSet.built_in().with_overrides(
        {normalize_keyword("plus de sms"): EventKind.OPT_OUT}
    )
    assert keywords.classify("Plus de SMS, merci !").kind is OUT
    assert keywords.classify("plus de sms demain ?").kind is REPLY


def test_unusable_keywords_are_refused() -> None:
    with pytest.raises(ValueError):
        normalize_keyword("!!!")
    with pytest.raises(ValueError):
        normalize_keyword("x" * 101)


def test_very_long_messages_are_replies() -> None:
    assert classify("stop " + "blah " * 5000).kind is REPLY
