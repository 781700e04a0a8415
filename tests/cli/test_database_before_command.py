"""``--database`` goes before the command as well as after it, as the README says.

``stoplist --database X audit verify`` was refused by Click ("No such
option"): the option is the root's too now, and sets the same setting.
"""

from __future__ import annotations

import json
from pathlib import Path

from stoplist.database_url import normalise_url
from tests.conftest import AccountWithKey
from tests.support import run_cli_here


def test_database_before_the_command(account: AccountWithKey, database_url: str) -> None:
    name = account.account.name
    verified = run_cli_here("--database", database_url, "audit", "verify", "--account", name)
    assert f"{name}: intact" in verified.stdout
    listed = json.loads(
        run_cli_here("--database", database_url, "accounts", "list", "--json").stdout
    )
    assert name in [one["name"] for one in listed]


def test_config_counts_it_as_a_flag_and_the_command_s_own_wins(
    database_url: str, tmp_path: Path
) -> None:
    shown = run_cli_here("--database", database_url, "config", "--json").stdout
    setting = next(row for row in json.loads(shown) if row["name"] == "database_url")
    assert setting["source"] == "flag"
    missing = str(tmp_path / "elsewhere.db")
    refused = run_cli_here(
        "--database", database_url, "accounts", "list", "--database", missing, check=False
    )
    assert refused.returncode == 1 and missing in refused.stderr
    assert normalise_url(setting["value"]) == normalise_url(database_url)
