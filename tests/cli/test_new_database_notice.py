"""A command that starts a new database says where, on stderr, and ``accounts create``
always says which database its account (and key) is in.

Run in the wrong directory, or without the service's environment,
``accounts create`` starts an empty database there and prints a key the real
server refuses (code 10): the line on stderr shows it at once, while the
key, or the JSON, stays alone on stdout for scripts.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stoplist.database_url import masked_url, normalise_url
from stoplist.settings import env_name
from tests.support import run_cli_here


def _where(url: str) -> str:
    if url.startswith("sqlite"):
        return str(Path(url.removeprefix("sqlite:///")).resolve())
    return masked_url(normalise_url(url))


def test_accounts_create_says_it_started_a_database_and_where(fresh_database_url: str) -> None:
    url, where = fresh_database_url, _where(fresh_database_url)
    first = run_cli_here("accounts", "create", "shop", "--database", url)
    assert first.stdout.startswith("sl_") and len(first.stdout.splitlines()) == 1
    started = (
        f"created a new database at {where}"
        if url.startswith("sqlite")
        else f"created stoplist's tables in {where}"
    )
    assert first.stderr.splitlines() == [started, f"account shop created in {where}"]

    second = run_cli_here("accounts", "create", "other", "--database", url, "--json")
    assert json.loads(second.stdout)["name"] == "other"
    assert second.stderr.splitlines() == [f"account other created in {where}"]


def test_the_default_database_is_named_by_its_full_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(env_name("database_url"), raising=False)
    made = run_cli_here("accounts", "create", "shop")
    assert f"created a new database at {tmp_path.resolve() / 'stoplist.db'}" in made.stderr
    listed = run_cli_here("accounts", "list", "--json")
    assert listed.stderr == ""  # an existing database: nothing to say
