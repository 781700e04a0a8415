"""The schema is created on first use and migrating again changes nothing."""

import json
from concurrent.futures import ThreadPoolExecutor

import httpx
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from stoplist.domain import clock
from stoplist.domain.accounts import Accounts
from stoplist.domain.audit import verify
from stoplist.domain.dashboard_throttle import ACCOUNT_LIMIT, ADDRESS_LIMIT, SignInThrottle
from stoplist.domain.erasure import erase
from stoplist.domain.inbound import Inbound, InboundMessage
from stoplist.domain.retention import Retention
from stoplist.domain.stops import StopList
from stoplist.records.events import Source
from stoplist.storage import chain
from stoplist.storage.database import HEAD_REVISION, Database
from stoplist.storage.migrate import alembic_config, current_revision
from stoplist.storage.schema import metadata
from tests.support import Server, run_cli_here


def _head(db: Database) -> str:
    from alembic.script import ScriptDirectory

    from stoplist.storage.migrate import alembic_config

    return ScriptDirectory.from_config(alembic_config(db)).get_current_head()


def test_first_use_creates_the_schema(db):
    assert current_revision(db) == _head(db)
    tables = set(inspect(db.engine).get_table_names())
    assert {"accounts", "api_keys", "stops", "events", "alembic_version"} <= tables
    db.migrate()
    assert current_revision(db) == _head(db)


def test_plain_path_means_sqlite(tmp_path):
    path = tmp_path / "plain.db"
    run_cli_here("accounts", "create", "plain", "--database", str(path))
    assert path.exists()
    db = Database(str(path))
    assert db.is_sqlite and current_revision(db) == _head(db)


def test_processes_starting_together_migrate_once(fresh_database_url):
    _migrate_concurrently(fresh_database_url)


def test_the_migration_lock_file_is_removed_once_released(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    _migrate_concurrently(url)
    assert sorted(path.name for path in tmp_path.iterdir() if path.name.endswith("-lock")) == []


def test_a_database_from_a_newer_version_is_left_alone(fresh_database_url):
    db = Database(fresh_database_url)
    db.migrate()
    with db.write() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    db.dispose()
    result = run_cli_here("accounts", "list", "--database", fresh_database_url, check=False)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "schema revision 9999, newer than this stoplist knows" in result.stderr
    db = Database(fresh_database_url)
    assert current_revision(db) == "9999"
    db.dispose()


def _migrate_concurrently(url: str) -> None:
    def migrate(_: int) -> str | None:
        db = Database(url)
        try:
            db.migrate()
            return current_revision(db)
        finally:
            db.dispose()

    with ThreadPoolExecutor(max_workers=4) as pool:
        revisions = set(pool.map(migrate, range(4)))
    assert revisions == {_head(Database(url))}


def test_the_head_revision_the_quick_check_knows_is_the_scripts_head(db):
    config = alembic_config(db)
    assert ScriptDirectory.from_config(config).get_current_head() == HEAD_REVISION
    assert current_revision(db) == HEAD_REVISION


def test_a_database_from_the_first_release_is_upgraded_with_its_data(fresh_database_url):
    _upgrade_from_first_release(fresh_database_url)


def _upgrade_from_first_release(url: str) -> None:
    db = Database(url)
    try:
        command.upgrade(alembic_config(db), "0001")
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO accounts (name, inbound_token, created_at) "
                    "VALUES ('old', 'token', 1)"
                )
            )
        db.migrate()
        assert current_revision(db) == HEAD_REVISION
        account = Accounts(db).list()[0]
        assert account.name == "old"
        stops = StopList(db, account)
        before = stops.version()
        stops.add("+33612345678")
        assert stops.version() != before
    finally:
        db.dispose()


def test_an_erasure_kept_before_revision_0011_still_stops_the_number(fresh_database_url, tmp_path):
    """0010 marks lifted erasures instead of deleting them: the rows already there are
    erasures in force and must keep suppressing their numbers."""
    number = "+33612345678"
    db = Database(fresh_database_url)
    try:
        command.upgrade(alembic_config(db), "0009")
        created = Accounts(db).create("erased-before-0011")
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO erased_numbers (account_id, number_digest, stop_id, created_at, "
                    "source, erased_at, event_id) VALUES (:account, :digest, 41, 1, 'api', 2, 7)"
                ),
                {
                    "account": created.account.id,
                    "digest": chain.number_digest(chain.chain_keys(conn), number),
                },
            )
        db.migrate()
        assert current_revision(db) == HEAD_REVISION
    finally:
        db.dispose()
    key = {"apiKey": created.api_key}
    server = Server(fresh_database_url, tmp_path / "server.log").start()
    try:
        with httpx.Client(base_url=server.base_url, timeout=30) as http:
            check = http.get("/v1/stop-sms/check", params={**key, "phoneNumber": "0612345678"})
            assert (check.json()["stopped"], check.json()["stopId"]) == (True, 41)
            added = http.post("/v1/stop-sms/add", json={**key, "phoneNumber": number})
            assert added.status_code == 409 and added.json()["stopId"] == 41
            deleted = http.post("/v1/stop-sms/delete", json={**key, "id": 41})
            assert deleted.status_code == 409 and deleted.json()["code"] == 97
            imported = http.post(
                "/v1/stop-sms/import",
                params=key,
                content=f"{number}\n".encode(),
                headers={"content-type": "text/csv"},
            ).json()
            assert (imported["added"], imported["alreadyStopped"]) == (0, 1)
    finally:
        server.stop()


def test_the_migrations_build_the_schema_the_queries_are_written_against(fresh_database_url):
    """``storage/schema.py`` and the migrations describe the same tables, columns and indexes."""
    db = Database(fresh_database_url)
    try:
        db.migrate()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": False, "compare_server_default": False}
            )
            differences = compare_metadata(context, metadata)
        assert differences == []
    finally:
        db.dispose()


def test_sweeps_recorded_before_0010_become_events_of_their_account(fresh_database_url):
    """The sweep is appended to the account's chain (made here: the account's events
    were deleted since), and the account's next event follows it."""
    db = Database(fresh_database_url)
    try:
        command.upgrade(alembic_config(db), "0009")
        account = Accounts(db).create("swept").account
        ran_at, cutoff = clock.now_us(), clock.now_us() - 1095 * 86_400 * clock.MICROS
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO retention_sweeps (account_id, ran_at, retention_days, cutoff, "
                    "texts_blanked, review_texts_blanked) VALUES (:a, :r, 1095, :c, 4, 1)"
                ),
                {"a": account.id, "r": ran_at, "c": cutoff},
            )
        db.migrate()
        (sweep,) = Retention(db, account).history()
        assert (sweep.ran_at, sweep.cutoff, sweep.retention_days) == (ran_at, cutoff, 1095)
        assert (sweep.texts_blanked, sweep.review_texts_blanked) == (4, 1)
        assert sweep.source == Source.SCHEDULE
        message = InboundMessage("generic", "+33612345678", "STOP", message_id="m-1")
        Inbound(db, account).receive(message)
        audit = verify(db, account)
        assert audit.intact and audit.length == 2
        with db.engine.connect() as conn:
            assert "retention_sweeps" not in inspect(conn).get_table_names()
    finally:
        db.dispose()


def test_overseas_lines_stored_under_their_metropolitan_reading_are_stopped_again_0014(
    fresh_database_url, tmp_path
):
    """Before 0014, ``0596 33 50 92`` typed on a French account was kept as +33596335092,
    while its own STOP arrives as +596596335092: after the upgrade, the national form
    reads as the overseas number, which must be stopped too, unless a later decision
    about the overseas number itself stands."""
    db = Database(fresh_database_url)
    try:
        command.upgrade(alembic_config(db), "0013")
        accounts = Accounts(db)
        french = accounts.create("french-before-0014")
        german = accounts.create("german-before-0014", default_region="DE").account
        stops = StopList(db, french.account)
        for number in (
            "+33596335092",  # Martinique landline: moves
            "+33263123456",  # Réunion landline, whose own number opted in since: stays
            "+33269612345",  # Mayotte landline, already stopped under its own number
            "+33612345678",  # a metropolitan mobile
            "+33596123456",  # no Martinique range: a metropolitan number
        ):
            stops.add(number, source=Source.IMPORT)
        stops.delete(stops.add("+262263123456").id)
        stops.add("+262269612345")
        stops.add("+33596335097")
        erase(stops, "+33596335097")  # known afterwards by its digest only
        StopList(db, german).add("+33596335092")
        version = stops.version()
        db.migrate()
        assert current_revision(db) == HEAD_REVISION
        assert stops.version() != version
        assert verify(db, french.account).intact
        assert StopList(db, german).find("+596596335092") is None
    finally:
        db.dispose()
    key = {"apiKey": french.api_key}
    server = Server(fresh_database_url, tmp_path / "server.log").start()
    try:
        with httpx.Client(base_url=server.base_url, timeout=30) as http:

            def stopped(number: str) -> bool:
                answer = http.get("/v1/stop-sms/check", params={**key, "phoneNumber": number})
                return bool(answer.json()["stopped"])

            assert stopped("0596 33 50 92") and stopped("+596596335092")
            assert stopped("0596 33 50 97") and stopped("+33596335097")  # erased, both ways
            erased = http.post(
                "/v1/stop-sms/filter", json={**key, "phoneNumbers": ["0596335097"]}
            ).json()
            assert erased["data"][0]["status"] == "stopped"
            assert stopped("+33596335092")  # the old entry stays
            assert not stopped("0263 12 34 56")
            assert stopped("0269 61 23 45")
            assert stopped("06 12 34 56 78") and stopped("0596 12 34 56")
            listed = http.get("/v1/stop-sms/list", params={**key, "format": "json"}).text
            assert listed.count("+596596335092") == 1 and listed.count("+262269612345") == 1
            history = http.get(
                "/v1/stop-sms/history", params={**key, "phoneNumber": "+596596335092"}
            ).json()
            (event,) = history["data"]
            assert (event["type"], event["source"]) == ("opt_out", "upgrade")
            assert "overseas" in event["reason"]
            exported = http.get("/v1/events/export", params={**key, "format": "ndjson"}).text
            (moved,) = [
                line for line in map(json.loads, exported.splitlines()) if line["id"] == event["id"]
            ]
            assert "+33596335092" in str(moved["details"])
            assert moved["chainSeq"] == max(
                json.loads(line)["chainSeq"] for line in exported.splitlines()
            )
    finally:
        server.stop()


def test_sign_in_failures_recorded_before_0015_still_count(fresh_database_url):
    """0015 keeps failures under the name typed rather than the account found: those
    made at an account carry over under its name, those made at no account still
    count against their address, and going back to 0014 gives them their account again."""
    db = Database(fresh_database_url)
    try:
        command.upgrade(alembic_config(db), "0014")
        account = Accounts(db).create("Shop before 0015").account
        attackers = [f"203.0.113.{n}" for n in range(ACCOUNT_LIMIT)]
        rows = [{"client": address, "account": account.id} for address in attackers]
        rows += [{"client": "198.51.100.200", "account": None}] * ADDRESS_LIMIT
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO dashboard_sign_in_failures (client, account_id, failed_at) "
                    "VALUES (:client, :account, :now)"
                ),
                [{**row, "now": clock.now_us()} for row in rows],
            )
        db.migrate()
        throttle = SignInThrottle(db)
        assert throttle.attempt(attackers[0], "SHOP BEFORE 0015") is None
        assert throttle.attempt("198.51.100.200", "someone else") is None
        assert throttle.attempt("192.0.2.1", "shop before 0015") is not None
        command.downgrade(alembic_config(db), "0014")
        with db.engine.connect() as conn:
            counted = conn.execute(
                text(
                    "SELECT account_id, count(*) FROM dashboard_sign_in_failures "
                    "GROUP BY account_id"
                )
            ).all()
        assert sorted(counted, key=str) == sorted(
            [(account.id, ACCOUNT_LIMIT + 1), (None, ADDRESS_LIMIT)], key=str
        )
    finally:
        db.dispose()
