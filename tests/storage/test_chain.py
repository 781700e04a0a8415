"""The hash chain under concurrent writers, and what each link covers."""

from __future__ import annotations

import hashlib
import hmac
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from stoplist.domain.audit import verify
from stoplist.domain.imports import import_numbers
from stoplist.domain.inbound import Inbound, InboundMessage
from stoplist.domain.stops import StopList
from stoplist.storage import chain

WRITERS = 6
EACH = 12


def test_concurrent_writers_chain_one_after_another(db, account, database_url):
    """Adds, deletes, replies and an import from several threads (each its own connection,
    as several server processes would be) leave one unbroken chain: no two events share
    a position or a predecessor."""
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite has one writer at a time; the race is PostgreSQL's")
    stops = StopList(db, account.account)
    inbound = Inbound(db, account.account)
    start = threading.Barrier(WRITERS + 1)
    failures: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            start.wait()
            for i in range(EACH):
                number = f"+336{n:02d}{i:06d}"
                if i % 3 == 2:
                    inbound.receive(InboundMessage("generic", number, "merci", message_id=number))
                else:
                    stop = stops.add(number)
                    if i % 3 == 1:
                        stops.delete(stop.id)
        except BaseException as exc:
            failures.append(exc)

    def importer() -> None:
        try:
            start.wait()
            import_numbers(stops, [f"+3378{i:07d}" for i in range(300)])
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS - 1)]
    threads.append(threading.Thread(target=importer))
    for thread in threads:
        thread.start()
    start.wait()
    for thread in threads:
        thread.join()
    assert failures == []
    expected = (WRITERS - 1) * (EACH + EACH // 3) + 300
    audit = verify(db, account.account)
    assert audit.broken is None
    assert audit.length == audit.checked == expected
    with db.engine.connect() as conn:
        distinct = conn.execute(
            text("SELECT COUNT(DISTINCT prev_hash) FROM events WHERE account_id = :a"),
            {"a": account.account.id},
        ).scalar()
    assert distinct == expected


def test_a_blanked_text_still_verifies_from_its_digest(db, account):
    """Retention may blank texts: the chain hashes the text's digest, kept on the row."""
    Inbound(db, account.account).receive(
        InboundMessage("generic", "+33612345678", "hello there", message_id="b-1")
    )
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE events SET text = NULL WHERE account_id = :a"),
                     {"a": account.account.id})  # fmt: skip
    assert verify(db, account.account).intact


def test_the_digests_are_keyed_and_stored(db, account):
    StopList(db, account.account).add("+33612345678")
    with db.engine.connect() as conn:
        row = conn.execute(
            text("SELECT number_digest, hash FROM events WHERE account_id = :a"),
            {"a": account.account.id},
        ).one()
        keys = chain.chain_keys(conn)
    assert bytes(row.number_digest) == chain.number_digest(keys, "+33612345678")
    assert bytes(row.number_digest) != hashlib.sha256(b"+33612345678").digest()
    assert len(bytes(row.hash)) == 32


@given(key=st.binary(max_size=200), message=st.binary(max_size=300))
def test_keyed_sha256_is_hmac_sha256(key, message):
    """The import's HMAC, started from the key's hashed blocks, is the standard one,
    for keys shorter and longer than SHA-256's block."""
    assert chain.KeyedSha256(key).digest(message) == hmac.digest(key, message, "sha256")


def test_a_large_import_chains_block_after_block(db, account):
    """An import hashes its numbers in blocks while the one before is written: with events
    before it (so each block looks the numbers up) and more blocks than one, every number
    sits at its own position with its own digest, one link after another."""
    stops = StopList(db, account.account)
    stops.add("+33612345678")
    numbers = [f"+3367{i:07d}" for i in range(25_003)]
    report = import_numbers(stops, ["+33612345678", *reversed(numbers)])
    assert report.added == len(numbers)
    audit = verify(db, account.account)
    assert audit.broken is None
    assert audit.length == audit.checked == len(numbers) + 1
    with db.engine.connect() as conn:
        seqs = conn.execute(
            text(
                "SELECT phone_number, chain_seq FROM events WHERE account_id = :a "
                "ORDER BY chain_seq"
            ),
            {"a": account.account.id},
        ).all()
    assert [seq for _, seq in seqs] == list(range(1, len(numbers) + 2))
    assert sorted(number for number, _ in seqs[1:]) == numbers
