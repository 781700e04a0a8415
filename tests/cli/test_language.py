"""The command line speaks the locale's language, French or English, never both.

Messages follow ``LC_ALL``, then ``LC_MESSAGES``, then ``LANG`` (``--lang``
wins over all three), and the server is asked for its errors in the same
language, so an error line is in one language from prefix to detail.
"""

from __future__ import annotations

import re

import pytest

from stoplist.cli.language import from_locale
from tests.support import free_port, run_cli

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

EN = {"LANG": "en_US.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""}
FR = {"LANG": "fr_FR.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""}
# Words that only the English wording of these messages contains.
ENGLISH_WORDS = re.compile(r"\b(error|invalid|cannot|connect|stopped as|not stopped)\b", re.I)
FRENCH_WORDS = re.compile(r"\b(erreur|incorrecte|impossible|opposition|numéro)\b", re.I)


def remote(server, *args, env, api_key):
    return run_cli(
        "remote",
        *args,
        "--base-url",
        f"{server.base_url}/v1",
        "--api-key",
        api_key,
        env=env,
        check=False,
    )


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": "fr_FR.UTF-8"}, "fr"),
        ({"LANG": "fr_CA"}, "fr"),
        ({"LANG": "de_DE.UTF-8"}, "en"),
        ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "fr_FR.UTF-8"}, "fr"),
        ({"LANG": "fr_FR.UTF-8", "LC_MESSAGES": "en_GB.UTF-8"}, "en"),
        ({"LC_ALL": "fr_FR.UTF-8", "LC_MESSAGES": "en_US.UTF-8", "LANG": "en_US"}, "fr"),
        ({"LC_ALL": "", "LANG": "fr_FR.UTF-8"}, "fr"),
    ],
)
def test_language_from_the_locale(environ, expected, database_url):
    assert from_locale(environ) == expected


def test_api_errors_in_english(server, account):
    result = remote(server, "list", env=EN, api_key="wrong")
    assert result.returncode == 2
    assert result.stderr.strip() == "error: [10] Invalid API key"


def test_api_errors_in_french(server, account):
    result = remote(server, "list", env=FR, api_key="wrong")
    assert result.returncode == 2
    assert result.stderr.strip() == "erreur : [10] Clé API incorrecte"
    invalid = remote(server, "add", "12", env=FR, api_key=account.api_key)
    assert invalid.stderr.strip() == (
        "erreur : [9] Le numéro de téléphone est invalide : trop court (too_short)"
    )


def test_lc_all_wins_and_lang_option_wins_over_it(server, account):
    env = {**EN, "LC_ALL": "fr_FR.UTF-8"}
    assert "Clé API incorrecte" in remote(server, "list", env=env, api_key="wrong").stderr
    forced = run_cli(
        "--lang",
        "en",
        "remote",
        "list",
        "--base-url",
        f"{server.base_url}/v1",
        "--api-key",
        "wrong",
        env=env,
        check=False,
    )
    assert forced.stderr.strip() == "error: [10] Invalid API key"


def test_output_lines_follow_the_language(server, account):
    added = remote(server, "add", "0611223344", env=FR, api_key=account.api_key)
    assert added.returncode == 0, added.stderr
    assert added.stdout.startswith("mis en opposition sous l'id ")
    assert not ENGLISH_WORDS.search(added.stdout)
    again = remote(server, "add", "0611223344", env=EN, api_key=account.api_key)
    assert again.returncode == 3 and again.stdout.startswith("already stopped as ")
    checked = remote(server, "check", "0611223344", env=FR, api_key=account.api_key)
    assert checked.returncode == 3 and "+33611223344 en opposition" in checked.stdout


@pytest.mark.parametrize(
    ("env", "words", "other"),
    [(EN, "cannot connect", FRENCH_WORDS), (FR, "impossible de se connecter", ENGLISH_WORDS)],
)
def test_network_errors_are_worded_in_one_language(env, words, other, database_url):
    port = free_port()  # nothing listens there
    result = run_cli(
        "remote",
        "list",
        "--base-url",
        f"http://127.0.0.1:{port}/v1",
        "--api-key",
        "key",
        env=env,
        check=False,
    )
    assert result.returncode == 2
    line = result.stderr.strip()
    assert words in line and f"127.0.0.1:{port}" in line
    assert not other.search(line.replace(f"http://127.0.0.1:{port}/v1", ""))
    assert "Traceback" not in result.stderr


def test_local_commands_follow_the_language_too(database_url):
    unknown = run_cli("keys", "list", "nobody", "--database", database_url, env=FR, check=False)
    assert unknown.returncode == 1
    assert unknown.stderr.strip() == "erreur : aucun compte n'a ce nom ou ce numéro : 'nobody'"
