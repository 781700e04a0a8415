"""``stoplist accounts`` and ``stoplist keys`` as operators use them."""

import json
import unicodedata

import httpx
import pytest
from sqlalchemy import text

from stoplist.domain.accounts import Accounts
from stoplist.domain.errors import (
    AccountNameAmbiguous,
    AccountNameTaken,
    AccountNameTakenInOtherCase,
)
from tests.support import Server, run_cli, run_cli_here


def test_create_account_prints_a_working_key(server, database_url):
    api_key = run_cli_here(
        "accounts", "create", "cli-plain", "--database", database_url
    ).stdout.strip()
    assert api_key.startswith("sl_") and len(api_key) >= 32
    answer = httpx.get(f"{server.base_url}/v1/stop-sms/list", params={"apiKey": api_key})
    assert answer.json()["success"] is True


def test_create_account_json(database_url):
    out = run_cli_here(
        "accounts", "create", "cli-json", "--database", database_url, "--json"
    ).stdout
    created = json.loads(out)
    assert {"accountId", "apiKey", "inboundToken"} <= set(created)
    assert created["timezone"] == "Europe/Paris" and created["defaultRegion"] == "FR"


def test_database_from_the_environment(database_url):
    env = {"STOPLIST_DATABASE_URL": database_url}
    run_cli("accounts", "create", "cli-env", env=env)
    listed = json.loads(run_cli("accounts", "list", "--json", env=env).stdout)
    assert "cli-env" in [account["name"] for account in listed]


def test_duplicate_and_invalid_accounts_are_refused(database_url):
    run_cli_here("accounts", "create", "cli-dup", "--database", database_url)
    again = run_cli_here("accounts", "create", "cli-dup", "--database", database_url, check=False)
    assert again.returncode != 0 and "already exists" in again.stderr
    bad = run_cli_here(
        "accounts",
        "create",
        "cli-tz",
        "--timezone",
        "Mars/Olympus",
        "--database",
        database_url,
        check=False,
    )
    assert bad.returncode != 0 and "time zone" in bad.stderr
    # Looked up as files of the zone database: a directory, a name too long for a path.
    for zone in ("Europe", "Europe/" + "x" * 300, "Europe/Paris\x00"):
        update = ("accounts", "update", "cli-dup", "--timezone", zone, "--database", database_url)
        refused = run_cli_here(*update, check=False)
        assert refused.returncode == 1 and "unknown time zone" in refused.stderr, refused.stderr


def test_keys_create_list_revoke(server, database_url):
    db = ("--database", database_url)
    run_cli_here("accounts", "create", "cli-keys", *db)
    second = run_cli_here("keys", "create", "cli-keys", "--label", "crm", *db).stdout.strip()
    keys = json.loads(run_cli_here("keys", "list", "cli-keys", "--json", *db).stdout)
    assert [key["label"] for key in keys] == ["initial", "crm"]
    assert all(second not in json.dumps(key) for key in keys)  # only prefixes are kept
    list_url = f"{server.base_url}/v1/stop-sms/list"
    assert httpx.get(list_url, params={"apiKey": second}).status_code == 200
    run_cli_here("keys", "revoke", "cli-keys", str(keys[1]["keyId"]), *db)
    refused = httpx.get(list_url, params={"apiKey": second})
    assert refused.status_code == 401 and refused.json()["code"] == 10
    unknown = run_cli_here("keys", "revoke", "no-such-account", "1", *db, check=False)
    assert unknown.returncode != 0 and "no account" in unknown.stderr


def test_serve_demo_creates_an_account_once(tmp_path):
    database = str(tmp_path / "fresh.db")
    demo = Server(database, tmp_path / "serve.log", extra_args=("--demo",)).start()
    try:
        printed = demo.logs()
        api_key = printed.split("(shown once): ")[1].split()[0]
        answer = httpx.get(f"{demo.base_url}/v1/stop-sms/list", params={"apiKey": api_key})
        assert answer.json()["nbData"] == 0
        demo.restart()
        assert demo.logs().count("(shown once)") == 1
    finally:
        demo.stop()


def test_an_account_name_of_digits_is_refused_since_it_reads_as_an_id(own_db, tmp_path):
    url = own_db.url
    run_cli_here("accounts", "create", "Boutique Réunion", "--database", url)
    run_cli_here("accounts", "create", "Boutique Paris", "--database", url)
    refused = run_cli_here("accounts", "create", " 1 ", "--database", url, check=False)
    assert refused.returncode == 1 and "digits alone" in refused.stderr
    ids = {a["name"]: a["accountId"] for a in json.loads(
        run_cli_here("accounts", "list", "--json", "--database", url).stdout)}  # fmt: skip
    # Named so before the rule: "1" is then neither account, rather than the wrong one.
    first = str(ids["Boutique Réunion"])
    with own_db.write() as conn:
        conn.exec_driver_sql(f"UPDATE accounts SET name = '{first}' WHERE name = 'Boutique Paris'")
    numbers = tmp_path / "one.csv"
    numbers.write_text("0612345678\n")
    ambiguous = run_cli_here(
        "import", str(numbers), "--account", first, "--database", url, check=False
    )
    assert ambiguous.returncode == 1
    assert "is an account's id and another account's name" in ambiguous.stderr
    for account in ("Boutique Réunion", str(ids["Boutique Paris"])):
        listed = run_cli_here("export", "--account", account, "--database", url).stdout
        assert "+33612345678" not in listed
    by_id = run_cli_here("keys", "list", str(ids["Boutique Paris"]), "--database", url)
    assert "initial" in by_id.stdout


def test_an_account_is_found_with_spaces_around_its_name(database_url):
    run_cli_here("accounts", "create", "cli-spaced", "--database", database_url)
    found = run_cli_here("keys", "list", " cli-spaced ", "--database", database_url)
    assert "initial" in found.stdout


def test_a_name_differing_only_by_case_is_taken_and_finds_its_account(own_db, tmp_path):
    url = own_db.url
    run_cli_here("accounts", "create", "Boutique Lyon", "--database", url)
    for taken in ("boutique lyon", " BOUTIQUE LYON "):
        refused = run_cli_here("accounts", "create", taken, "--database", url, check=False)
        assert refused.returncode == 1
        said = f"'Boutique Lyon' already exists: {taken.strip()!r} differs from it only by case"
        assert said in refused.stderr
    listed = json.loads(run_cli_here("accounts", "list", "--json", "--database", url).stdout)
    assert [account["name"] for account in listed] == ["Boutique Lyon"]
    numbers = tmp_path / "one.csv"
    numbers.write_text("0612345678\n")
    run_cli_here("import", str(numbers), "--account", "boutique LYON", "--database", url)
    exported = run_cli_here("export", "--account", "Boutique Lyon", "--database", url).stdout
    assert "+33612345678" in exported


def test_names_made_before_the_case_rule_exact_wins_and_otherwise_it_is_ambiguous(own_db, tmp_path):
    url = own_db.url
    for name in ("Shop", "Shop 2", "Unrelated"):
        run_cli_here("accounts", "create", name, "--database", url)
    with own_db.write() as conn:  # named so before the rule
        conn.exec_driver_sql("UPDATE accounts SET name = 'shop' WHERE name = 'Shop 2'")
    ids = {a["name"]: a["accountId"] for a in json.loads(
        run_cli_here("accounts", "list", "--json", "--database", url).stdout)}  # fmt: skip
    for name in ("Shop", "shop"):
        found = run_cli_here("accounts", "update", name, "--region", "BE", "--json",
                             "--database", url)  # fmt: skip
        assert json.loads(found.stdout)["accountId"] == ids[name]
    assert run_cli_here("keys", "list", "unrelated", "--database", url).returncode == 0
    numbers = tmp_path / "one.csv"
    numbers.write_text("0612345678\n")
    ambiguous = run_cli_here(
        "import", str(numbers), "--account", "SHOP", "--database", url, check=False
    )
    assert ambiguous.returncode == 1
    assert (
        "no account is named exactly 'SHOP', and ignoring case several are ('Shop', 'shop')"
    ) in ambiguous.stderr
    for name in ("Shop", "shop"):
        exported = run_cli_here("export", "--account", name, "--database", url).stdout
        assert "+33612345678" not in exported
    # A rename may change the case of the account's own name, never meet another's.
    accounts = Accounts(own_db)
    assert accounts.update_settings(accounts.get("Unrelated"), name="UNRELATED").name == "UNRELATED"
    for account, name in (("Unrelated", "SHOP"), ("shop", "sHOP")):
        with pytest.raises(AccountNameTakenInOtherCase):
            accounts.update_settings(accounts.get(account), name=name)
    with pytest.raises(AccountNameTaken):
        accounts.update_settings(accounts.get("Unrelated"), name="Shop")


def test_a_name_is_one_name_whatever_unicode_form_its_accents_are_typed_in(own_db, tmp_path):
    url = own_db.url
    composed, decomposed = (unicodedata.normalize(form, "Café Lyon") for form in ("NFC", "NFD"))
    run_cli_here("accounts", "create", decomposed, "--database", url)
    listed = json.loads(run_cli_here("accounts", "list", "--json", "--database", url).stdout)
    assert [account["name"] for account in listed] == [composed]
    refused = run_cli_here("accounts", "create", composed, "--database", url, check=False)
    assert refused.returncode == 1 and "already exists" in refused.stderr
    numbers = tmp_path / "one.csv"
    numbers.write_text("0612345678\n")
    typed = unicodedata.normalize("NFD", "CAFÉ LYON")
    run_cli_here("import", str(numbers), "--account", typed, "--database", url)
    exported = run_cli_here("export", "--account", composed, "--database", url).stdout
    assert "+33612345678" in exported


def test_a_name_stored_decomposed_before_is_found_and_taken_in_either_form(own_db):
    accounts = Accounts(own_db)
    composed, decomposed = (unicodedata.normalize(form, "Crème") for form in ("NFC", "NFD"))
    made = accounts.create(composed).account
    _rename_behind_the_rules(own_db, made.id, decomposed)  # named so before names were normalised
    for typed in (composed, decomposed, composed.upper()):
        found = run_cli_here("keys", "list", typed, "--database", own_db.url, check=False)
        assert found.returncode == 0 and "initial" in found.stdout, found.stderr
    with pytest.raises(AccountNameTaken) as taken:
        accounts.create(composed)
    assert not isinstance(taken.value, AccountNameTakenInOtherCase)
    # Its own name may be rewritten in NFC; with two alike, the exact one wins, or none.
    assert accounts.update_settings(accounts.get(decomposed), name=composed).name == composed
    other = accounts.create("Autre").account
    _rename_behind_the_rules(own_db, other.id, decomposed)
    assert accounts.get(decomposed).id == other.id and accounts.get(composed).id == made.id
    with pytest.raises(AccountNameAmbiguous):
        accounts.get(composed.lower())


def _rename_behind_the_rules(db, account_id: int, name: str) -> None:
    with db.write() as conn:
        conn.execute(
            text("UPDATE accounts SET name = :name WHERE id = :id"),
            {"name": name, "id": account_id},
        )


def test_case_folding_folds_ligatures_and_sharp_s_but_not_forms_only_nfkc_folds(own_db):
    """``ﬁ``, ``ß`` and ``ſ`` fold as their letters do (``str.casefold``); full-width
    letters and superscripts are names of their own, as they look different."""
    url = own_db.url
    made = json.loads(
        run_cli_here("accounts", "create", "ﬁeld Straße ſ", "--json", "--database", url).stdout
    )
    for typed in ("field strasse s", "FIELD STRASSE S"):
        refused = run_cli_here("accounts", "create", typed, "--database", url, check=False)
        assert refused.returncode == 1
        assert f"'ﬁeld Straße ſ' already exists: {typed!r} differs from it only by case" in (
            refused.stderr
        )
        assert Accounts(own_db).get(typed).id == made["accountId"]
    for name, lookalike in (("Shop", "Ｓｈｏｐ"), ("Room 2", "Room ²")):
        run_cli_here("accounts", "create", name, "--database", url)
        run_cli_here("accounts", "create", lookalike, "--database", url)
    listed = json.loads(run_cli_here("accounts", "list", "--json", "--database", url).stdout)
    assert [account["name"] for account in listed] == [
        "ﬁeld Straße ſ", "Shop", "Ｓｈｏｐ", "Room 2", "Room ²",
    ]  # fmt: skip
    # Full-width letters still fold their own case.
    assert Accounts(own_db).get("ｓｈｏｐ").name == "Ｓｈｏｐ"
