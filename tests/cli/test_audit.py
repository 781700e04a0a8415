"""``stoplist audit verify``: a history edited by hand is caught and its first change named.

Every case edits the database as someone with its password would (plain
SQL, outside stoplist), then runs the real command.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from alembic import command
from sqlalchemy import text

from stoplist.domain.accounts import Accounts
from stoplist.domain.audit import verify
from stoplist.domain.imports import import_numbers
from stoplist.domain.inbound import Inbound, InboundMessage
from stoplist.domain.stops import StopList
from stoplist.storage.database import Database
from stoplist.storage.migrate import alembic_config
from tests.formula_cells import check_csv, check_ndjson, send_hostile_history
from tests.support import run_cli_here

NUMBERS = ("+33612345671", "+33612345672", "+33612345673")


def _history(db, account) -> list[int]:
    """Three adds, a reply with a text, an import: the ids of the events, in order."""
    stops = StopList(db, account)
    for number in NUMBERS:
        stops.add(number, actor="alice", reason="asked by phone")
    Inbound(db, account).receive(
        InboundMessage("generic", "+33612345674", "merci, à bientôt", message_id="m-1")
    )
    import_numbers(stops, ["+33612345675", "+33612345676"])
    with db.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id FROM events WHERE account_id = :a ORDER BY chain_seq"),
            {"a": account.id},
        )
        return [row[0] for row in rows]


def _verify(database_url: str, name: str, *args: str):
    return run_cli_here(
        "audit", "verify", "--account", name, "--database", database_url, *args, check=False
    )


def _sql(db, statement: str, **values: object) -> None:
    with db.engine.begin() as conn:
        conn.execute(text(statement), values)


def test_an_untouched_history_is_intact(database_url, db, account):
    ids = _history(db, account.account)
    assert len(ids) == 6
    done = _verify(database_url, account.account.name)
    assert done.returncode == 0, done.stderr
    assert f"{account.account.name}: intact, 6 events, chain head " in done.stdout
    as_json = json.loads(_verify(database_url, account.account.name, "--json").stdout)
    assert as_json[0]["intact"] is True and as_json[0]["events"] == 6
    assert len(as_json[0]["head"]) == 64


@pytest.mark.parametrize(
    ("column", "value", "said"),
    [
        ("text", "'STOP'", "its text does not match its digest"),
        ("phone_number", "'+33699999999'", "its phone number does not match its digest"),
        ("event_at", "event_at - 86400000000", "its content does not match its hash"),
        ("actor", "'mallory'", "its content does not match its hash"),
    ],
)
def test_a_changed_column_names_the_event(database_url, db, account, column, value, said):
    ids = _history(db, account.account)
    changed = ids[3] if column == "text" else ids[1]
    _sql(db, f"UPDATE events SET {column} = {value} WHERE id = :id", id=changed)
    done = _verify(database_url, account.account.name)
    assert done.returncode == 3
    assert f"event {changed} (position {ids.index(changed) + 1}) was changed: {said}" in (
        done.stderr
    )


def test_a_deleted_event_is_named(database_url, db, account):
    ids = _history(db, account.account)
    _sql(db, "DELETE FROM events WHERE id = :id", id=ids[2])
    done = _verify(database_url, account.account.name)
    assert done.returncode == 3
    assert f"1 event(s) removed before event {ids[3]} (from position 3)" in done.stderr


def test_deleting_the_last_events_is_caught(database_url, db, account):
    ids = _history(db, account.account)
    _sql(db, "DELETE FROM events WHERE id IN (:a, :b)", a=ids[-1], b=ids[-2])
    done = _verify(database_url, account.account.name)
    assert done.returncode == 3
    assert "the last 2 event(s) of the chain were removed (from position 5)" in done.stderr


def test_an_inserted_event_is_named(database_url, db, account):
    _history(db, account.account)
    _sql(
        db,
        "INSERT INTO events (account_id, phone_number, kind, source, event_at, received_at) "
        "VALUES (:a, '+33612345679', 'opt_in', 'api', 1, 1)",
        a=account.account.id,
    )
    with db.engine.connect() as conn:
        inserted = conn.execute(text("SELECT MAX(id) FROM events")).scalar()
    done = _verify(database_url, account.account.name)
    assert done.returncode == 3
    assert f"event {inserted} was inserted by hand (it is not in the chain)" in done.stderr


def test_a_copied_link_past_the_head_is_an_insertion(database_url, db, account):
    ids = _history(db, account.account)
    _sql(
        db,
        "INSERT INTO events (account_id, phone_number, kind, source, event_at, received_at, "
        "chain_seq, prev_hash, hash, number_digest) SELECT account_id, phone_number, 'opt_in', "
        "source, event_at, received_at, 7, hash, hash, number_digest FROM events WHERE id = :id",
        id=ids[-1],
    )
    done = _verify(database_url, account.account.name)
    assert done.returncode == 3 and "was inserted by hand" in done.stderr


def test_the_verdict_in_french(database_url, db, account):
    ids = _history(db, account.account)
    _sql(db, "UPDATE events SET text = 'STOP' WHERE id = :id", id=ids[3])
    done = _verify(database_url, account.account.name, "--json")
    assert json.loads(done.stdout)[0]["problem"]["fault"] == "text"
    french = run_cli_here(
        "--lang", "fr", "audit", "verify", "--account", account.account.name,
        "--database", database_url, check=False,
    )  # fmt: skip
    assert french.returncode == 3
    assert f"l'événement {ids[3]} (position 4) a été modifié : son texte" in french.stderr


def test_every_account_is_verified_and_one_broken_fails_the_run(fresh_database_url):
    db = Database(fresh_database_url)
    try:
        db.migrate()
        accounts = Accounts(db)
        first = accounts.create("first").account
        second = accounts.create("second").account
        StopList(db, first).add("+33612345678")
        ids = _history(db, second)
        done = run_cli_here("audit", "verify", "--database", fresh_database_url)
        assert "first: intact, 1 events" in done.stdout
        assert "second: intact, 6 events" in done.stdout
        _sql(db, "UPDATE events SET received_at = received_at + 1 WHERE id = :id", id=ids[0])
        broken = run_cli_here("audit", "verify", "--database", fresh_database_url, check=False)
        assert broken.returncode == 3
        assert "first: intact" in broken.stdout
        assert f"second: event {ids[0]} (position 1) was changed" in broken.stderr
    finally:
        db.dispose()


def test_the_migration_chains_the_events_recorded_before_it(fresh_database_url):
    db = Database(fresh_database_url)
    try:
        command.upgrade(alembic_config(db), "0001")
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO accounts (name, inbound_token, created_at) "
                    "VALUES ('old', 'token', 1)"
                )
            )
            account_id = conn.execute(text("SELECT id FROM accounts")).scalar()
            for number, kind, body in (
                ("+33612345678", "opt_out", None),
                ("+33612345679", "reply", "bonjour"),
                ("+33612345678", "opt_in", None),
            ):
                conn.execute(
                    text(
                        "INSERT INTO events (account_id, phone_number, kind, source, "
                        "event_at, received_at, text) VALUES (:a, :n, :k, 'sms', 5, 5, :t)"
                    ),
                    {"a": account_id, "n": number, "k": kind, "t": body},
                )
        db.migrate()
        account = Accounts(db).get("old")
        StopList(db, account).add("+33612345670")
        audit = verify(db, account)
        assert audit.intact and audit.length == 4
        _sql(db, "UPDATE events SET text = 'STOP' WHERE text = 'bonjour'")
        broken = verify(db, account).broken
        assert broken is not None and broken.position == 2
    finally:
        db.dispose()


def test_events_export_through_the_command(database_url, db, account, tmp_path):
    ids = _history(db, account.account)
    name = account.account.name
    as_csv = run_cli_here("events", "export", "--account", name, "--database", database_url)
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [int(row["id"]) for row in rows] == ids
    assert rows[3]["text"] == "merci, à bientôt" and rows[0]["actor"] == "alice"
    assert rows[1]["prevHash"] == rows[0]["hash"]
    out = tmp_path / "events.ndjson"
    run_cli_here(
        "events", "export", "--account", name, "--format", "ndjson", "--since", "2000-01-01",
        "--output", str(out), "--database", database_url,
    )  # fmt: skip
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [record["chainSeq"] for record in records] == [1, 2, 3, 4, 5, 6]
    none = run_cli_here(
        "events", "export", "--account", name, "--format", "ndjson", "--until", "2000-01-01",
        "--database", database_url,
    )  # fmt: skip
    assert none.stdout == ""
    swapped = run_cli_here(
        "events", "export", "--account", name, "--since", "2026-03-02", "--until", "2026-03-01",
        "--database", database_url, check=False,
    )  # fmt: skip
    assert swapped.returncode != 0 and swapped.stdout == ""
    assert "since must not be later than until" in swapped.stderr
    for bad in (["--format", "xlsx"], ["--since", "someday"]):
        refused = run_cli_here(
            "events", "export", "--account", name, *bad, "--database", database_url, check=False
        )
        assert refused.returncode != 0 and "error:" in refused.stderr


def test_events_export_of_texts_that_spreadsheets_would_run(database_url, http, account):
    send_hostile_history(http, account.api_key, account.account.inbound_token)
    name = account.account.name
    as_csv = run_cli_here("events", "export", "--account", name, "--database", database_url)
    check_csv(as_csv.stdout)
    as_ndjson = run_cli_here(
        "events", "export", "--account", name, "--format", "ndjson", "--database", database_url
    )
    check_ndjson(as_ndjson.stdout)
