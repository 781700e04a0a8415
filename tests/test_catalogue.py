"""The one catalogue: every message in the code is translated, and the contract's wording holds.

The template is extracted from the code and templates the way a maintainer
does it (``scripts/messages extract``), so a message added without its
translation, or a translation left behind by a changed message, fails here.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from stoplist import i18n
from stoplist.api.errors import ANSWERS, error_body
from stoplist.domain import errors

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
TRANSLATED = [language for language in i18n.LANGUAGES if language != i18n.SOURCE_LANGUAGE]

# The SMS Partner v1 wording, byte for byte, as the API has always answered it.
CONTRACT = {
    errors.ApiKeyRequired: ("La clé API est requise", "The API key is required"),
    errors.PhoneNumberRequired: (
        "Le numéro de téléphone est requis",
        "The phone number is required",
    ),
    errors.StopIdRequired: ("L'ID du numéro est requis", "The phone number ID is required"),
    errors.StopNotFound: ("L'ID du numéro est introuvable", "The phone number ID cannot be found"),
    errors.InvalidPhoneNumber: (
        "Le numéro de téléphone est invalide",
        "The phone number is invalid",
    ),
    errors.InvalidApiKey: ("Clé API incorrecte", "Invalid API key"),
    errors.MalformedBody: ("Le JSON est malformé", "Malformed JSON"),
    errors.InvalidParameter: ("Paramètre invalide", "Invalid parameter"),
    errors.NoNumbersFound: (
        "Aucun numéro valide dans le fichier",
        "No valid phone number in the file",
    ),
    errors.NotFound: ("Ressource introuvable", "Not found"),
    errors.MethodNotAllowed: ("Méthode non autorisée", "Method not allowed"),
    errors.BodyTooLarge: ("Le corps de la requête est trop volumineux", "Request body too large"),
    errors.StorageFull: (
        "Le stockage est plein : la demande n'a pas été enregistrée, réessayez plus tard",
        "Storage is full: the request was not recorded, try again later",
    ),
    errors.DatabaseUnavailable: (
        "La base de données est indisponible, réessayez plus tard",
        "The database is unavailable, try again later",
    ),
    errors.InternalError: ("Erreur interne du serveur", "Internal server error"),
    errors.InvalidSignature: ("Signature invalide", "Invalid signature"),
}
STATUS = {
    errors.ApiKeyRequired: 401,
    errors.InvalidApiKey: 401,
    errors.AlreadyStopped: 409,
    errors.StopNotFound: 404,
    errors.NotFound: 404,
    errors.MethodNotAllowed: 405,
    errors.BodyTooLarge: 413,
    errors.NoNumbersFound: 422,
    errors.StorageFull: 503,
    errors.DatabaseUnavailable: 503,
    errors.InternalError: 500,
    errors.InvalidSignature: 403,
}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str | None, str], object]:
    path = tmp_path_factory.mktemp("catalogue") / "stoplist.pot"
    subprocess.run([ROOT / "scripts" / "messages", "extract", path], check=True, cwd=ROOT)
    with path.open("rb") as source:
        return {(m.context, m.id): m for m in read_po(source) if m.id}


def _po(language: str) -> dict[tuple[str | None, str], object]:
    with i18n.po_path(language).open("rb") as source:
        return {(m.context, m.id): m for m in read_po(source) if m.id}


def test_the_code_has_messages_to_translate(template):
    # A broken extraction (wrong paths, lost keywords) would make every other test pass.
    assert len(template) > 300
    assert (None, "Skip to content") in template  # a template's _()
    assert ("api", "Invalid API key") in template  # the API's table
    assert (None, "error:") in template  # the CLI
    assert ("source", "Import") in template  # a dashboard label


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated(template, language):
    translated = _po(language)
    missing = [key for key in template if not getattr(translated.get(key), "string", "")]
    fuzzy = [key for key, message in translated.items() if message.fuzzy]
    assert missing == [] and fuzzy == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_no_translation_is_left_behind(template, language):
    assert sorted(set(_po(language)) - set(template), key=str) == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_fill_the_same_placeholders(language):
    for (_context, msgid), message in _po(language).items():
        assert set(PLACEHOLDER.findall(message.string)) <= set(PLACEHOLDER.findall(msgid)), msgid
        assert message.string.count("%") - message.string.count("%(") == msgid.count(
            "%"
        ) - msgid.count("%("), msgid


def test_the_catalogue_reads_the_po_file():
    french = i18n.catalogue("fr")
    assert french.text("Skip to content") == "Aller au contenu"
    assert french.text_in("api", "Not found") == "Ressource introuvable"
    assert french.text("Not found") == "Introuvable"  # the dashboard's, told apart by context
    assert french.text("a message nobody wrote") == "a message nobody wrote"
    assert i18n.catalogue("en").text("Received %(when)s", when="today") == "Received today"


@pytest.mark.parametrize("kind", CONTRACT)
def test_the_api_answers_the_contract_wording(kind):
    error = kind() if kind is not errors.NoNumbersFound else kind(columns=("a",))
    french, english = CONTRACT[kind]
    status, body_fr = error_body(error, "fr")
    _, body_en = error_body(error, "en")
    assert (body_fr["message"], body_en["message"]) == (french, english)
    assert status == STATUS.get(kind, 400)
    assert body_fr["success"] is False


def test_every_error_of_the_table_has_its_contract_wording():
    assert set(ANSWERS) - set(CONTRACT) == {
        errors.AlreadyStopped,
        errors.ReviewItemNotFound,
        errors.ReviewAlreadyDecided,
        errors.StopErased,
        errors.PreparedStatementsLost,
    }
    status, body = error_body(errors.AlreadyStopped(7), "fr")
    assert (status, body) == (
        409,
        {
            "success": False,
            "code": 3,
            "message": "Le numéro est déjà présent dans la liste",
            "stopId": 7,
        },
    )


def test_the_review_queue_errors_are_worded_in_both_languages():
    assert error_body(errors.ReviewItemNotFound(), "fr") == (
        404,
        {"success": False, "code": 95, "message": "Élément de revue introuvable"},
    )
    assert error_body(errors.ReviewAlreadyDecided("confirmed"), "en") == (
        409,
        {
            "success": False,
            "code": 96,
            "message": "The review item was decided already",
            "status": "confirmed",
        },
    )
    _, body = error_body(errors.ReviewAlreadyDecided("dismissed"), "fr")
    assert body["message"] == "Cet élément a déjà été traité"


def test_a_refused_signature_carries_no_api_code():
    status, body = error_body(errors.InvalidSignature(), "en")
    assert (status, body) == (403, {"success": False, "message": "Invalid signature"})


def test_an_erased_entry_is_refused_in_both_languages():
    assert error_body(errors.StopErased(), "en") == (
        409,
        {
            "success": False,
            "code": 97,
            "message": "The number was erased at its owner's request and stays suppressed",
        },
    )
    _, body = error_body(errors.StopErased(), "fr")
    assert body["message"].startswith("Le numéro a été effacé")


def test_lost_prepared_statements_are_an_unavailable_database_that_names_the_fix():
    status, body = error_body(errors.PreparedStatementsLost(), "en")
    assert (status, body["code"]) == (503, 94)
    assert body["message"].startswith("The database is unavailable: ")
    assert "STOPLIST_PREPARED_STATEMENTS=0" in body["message"]
