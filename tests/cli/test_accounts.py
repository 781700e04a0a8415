"""``stoplist accounts`` and ``stoplist keys`` as operators use them."""

import json

import httpx

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
