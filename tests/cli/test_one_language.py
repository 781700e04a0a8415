"""Every command's errors come out in the locale's language, and in that one only.

Each case is a real ``stoplist`` process run on an error path under
``LANG=en_US.UTF-8`` and ``LANG=fr_FR.UTF-8``: the ``error:`` line must start
with the language's prefix and hold none of the other language's words.
"""

from __future__ import annotations

import itertools
import re
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from stoplist.domain.accounts import Accounts
from stoplist.storage.database import Database
from tests.support import free_port, run_cli

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

ENVIRONMENTS = {
    "en": {"LANG": "en_US.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""},
    "fr": {"LANG": "fr_FR.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""},
}
PREFIX = {"en": "error: ", "fr": "erreur : "}
# Words of one language's messages that the other's never use. Inputs below
# (account names, URLs, files) are chosen to hold none of them.
WORDS = {
    "en": re.compile(
        r"\b(error|the|unknown|must|such|already|named|use|give|cannot|with|no|not|file|"
        r"column|columns|account|sheet|password|characters|refused|means|found|is|nothing)\b",
        re.IGNORECASE,
    ),
    "fr": re.compile(
        r"\b(erreur|le|la|les|inconnu|inconnue|aucun|aucune|déjà|utilisez|doit|impossible|"
        r"fichier|compte|colonne|colonnes|refusée|mot|signifie|existe|donnez|caractères|"
        r"état|introuvable|traité|rien)\b",
        re.IGNORECASE,
    ),
}
_names = itertools.count(1)


@dataclass
class Setup:
    database_url: str
    account: str
    tmp_path: Path

    def file(self, name: str, content: str) -> str:
        path = self.tmp_path / name
        path.write_text(content, encoding="utf-8")
        return str(path)


Case = Callable[[Setup], tuple[list[str], str | None]]
"""The arguments of an error path (and what to give on stdin)."""

CASES: dict[str, Case] = {
    "accounts create (name taken)": lambda s: (["accounts", "create", s.account], None),
    "keys revoke (no such key)": lambda s: (["keys", "revoke", s.account, "987654"], None),
    "inbound enable (unknown provider)": lambda s: (["inbound", "enable", s.account, "xyz"], None),
    "inbound urls (unknown account)": lambda s: (["inbound", "urls", "qqq-zzz"], None),
    "keywords add (unknown action)": lambda s: (
        ["keywords", "add", s.account, "ARRET", "--action", "xyz"],
        None,
    ),
    "webhooks add (private address)": lambda s: (
        ["webhooks", "add", s.account, "http://10.0.0.1/hook"],
        None,
    ),
    "webhooks remove (no endpoint)": lambda s: (["webhooks", "remove", s.account, "987"], None),
    "import (missing file)": lambda s: (
        ["import", str(s.tmp_path / "xyz.csv"), "--account", s.account],
        None,
    ),
    "import (no phone column)": lambda s: (
        ["import", s.file("x.csv", "nom,ville\nAnn,Lyon\n"), "--account", s.account],
        None,
    ),
    "import (unknown column)": lambda s: (
        [
            "import",
            s.file("y.csv", "nom,tel\nAnn,0612345678\n"),
            "--account",
            s.account,
            "--column",
            "fax",
        ],
        None,
    ),
    "export (unknown format)": lambda s: (
        ["export", "--account", s.account, "--format", "xml"],
        None,
    ),
    "accounts update (nothing to change)": lambda s: (["accounts", "update", s.account], None),
    "accounts update (unknown reasonable means)": lambda s: (
        ["accounts", "update", s.account, "--reasonable-means", "xyz"],
        None,
    ),
    "review list (unknown status)": lambda s: (
        ["review", "list", "--account", s.account, "--status", "xyz"],
        None,
    ),
    "review confirm (no such item)": lambda s: (
        ["review", "confirm", "987654", "--account", s.account],
        None,
    ),
    "dashboard set-password (too short)": lambda s: (
        ["dashboard", "set-password", s.account],
        "abc\n",
    ),
}


@pytest.fixture
def setup(db: Database, database_url: str, tmp_path: Path) -> Setup:
    name = f"acme{next(_names)}-{tmp_path.name[-6:]}"
    Accounts(db).create(name)
    return Setup(database_url, name, tmp_path)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("language", ["en", "fr"])
def test_an_error_is_in_one_language(setup: Setup, case: str, language: str) -> None:
    args, stdin = CASES[case](setup)
    env = ENVIRONMENTS[language]
    result = run_cli(*args, "--database", setup.database_url, env=env, input=stdin, check=False)
    assert result.returncode != 0, result.stdout
    line = _error_line(result.stderr)
    assert line.startswith(PREFIX[language]), line
    other = "fr" if language == "en" else "en"
    words = _without_options(line)
    assert not WORDS[other].search(words), f"{other} words in {line!r}"
    assert WORDS[language].search(words), f"no {language} word in {line!r}"


def test_serve_says_why_it_cannot_listen_in_the_locale_language(
    database_url: str, busy_port: int
) -> None:
    for language, prefix in PREFIX.items():
        result = run_cli(
            "serve",
            "--port",
            str(busy_port),
            "--database",
            database_url,
            env=ENVIRONMENTS[language],
            check=False,
        )
        line = _error_line(result.stderr)
        assert result.returncode != 0 and line.startswith(prefix), line
        other = "fr" if language == "en" else "en"
        assert not WORDS[other].search(_without_options(line)), line


DATABASE_CASES: dict[str, Callable[[Path], str]] = {
    "missing directory": lambda tmp: f"sqlite:///{tmp / 'absent' / 'stoplist.db'}",
    "not a SQLite database": lambda tmp: _written(tmp / "notes.txt", "xyz\n" * 2000),
    "nothing listening": lambda tmp: f"postgresql://postgres@127.0.0.1:{free_port()}/postgres",
}
DATABASE_COMMANDS = [("serve", "--port", "1"), ("accounts", "list")]


# The module's parametrization names the fixture; these cases bring their own database.
@pytest.mark.usefixtures("database_url")
@pytest.mark.parametrize("command", DATABASE_COMMANDS, ids=lambda command: command[0])
@pytest.mark.parametrize("case", DATABASE_CASES)
@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_database_trouble_is_in_one_language(
    tmp_path: Path, case: str, language: str, command: tuple[str, ...]
) -> None:
    url = DATABASE_CASES[case](tmp_path)
    result = run_cli(*command, "--database", url, env=ENVIRONMENTS[language], check=False)
    assert result.returncode != 0, result.stdout
    line = _error_line(result.stderr)
    assert line.startswith(PREFIX[language]), line
    other = "fr" if language == "en" else "en"
    assert not WORDS[other].search(line), f"{other} words in {line!r}"
    assert WORDS[language].search(line), f"no {language} word in {line!r}"


def _written(path: Path, content: str) -> str:
    path.write_text(content, encoding="utf-8")
    return str(path)


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield taken.getsockname()[1]


def _without_options(line: str) -> str:
    """The line without option names (``--column`` is the same in every language)."""
    return re.sub(r"--[a-z-]+", "", line)


def _error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith(("error:", "erreur :"))]
    assert len(lines) == 1, stderr
    return lines[0]
