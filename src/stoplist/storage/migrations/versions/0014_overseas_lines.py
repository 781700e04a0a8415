"""overseas landlines stored under their metropolitan reading are stopped under their own number

Revision ID: 0014
Revises: 0013

Before this version, a national form such as ``0596 33 50 92`` (a Martinique
landline) typed on an account of the French plan was read as the metropolitan
``+33596335092``, which ``phonenumbers`` also finds valid, while a STOP sent
from that line arrives as ``+596596335092``. National forms are now read as
the overseas number (``domain.numbers``), so an entry kept under the old
reading would no longer meet its own national spelling. For each such stopped
number, this migration stops the overseas number too, with an ``opt_out``
event of source ``upgrade`` in the account's chain that names the old reading
(``details.formerly``). The old entry stays: an international ``+33`` form
still finds it, and its history is untouched.

Nothing is written for an overseas number that is already stopped, was erased,
or was opted in after the old entry was made: the later decision stands.

An old reading that was erased is known only by its keyed digest. Each
``+33`` number of the ranges that now read overseas (five million) is
digested once and looked up among the erasures in force of the plan's
accounts (about ten seconds, and only when there are such erasures); the
overseas number of each one found is erased as well, sharing the entry's
stop, so that it stays suppressed under its new reading too.

It needs the secrets key file when there is something to write, as the
chain's keys derive from it.
"""

from __future__ import annotations

import time
from typing import Any

import orjson
import phonenumbers
import sqlalchemy as sa
from alembic import op

from stoplist.storage import chain

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_PLAN = ("FR", "GP", "MQ", "GF", "RE", "YT", "BL", "MF", "PM")
_OVERSEAS_REGIONS = ("GP", "MQ", "GF", "RE", "PM")  # one per calling code other than +33
_LINE_TYPES = (
    phonenumbers.PhoneNumberType.FIXED_LINE,
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
)
_REASON = "national form of an overseas line, stored under its metropolitan reading"
_SHADOWED_PREFIXES = ("263", "268", "269", "596", "598")
"""The +33 prefixes whose numbers can read overseas (``overseas_number`` decides each one)."""


def overseas_number(stored: str) -> str | None:
    """The overseas number a stored ``+33`` reading of a national form stands for, if any.

    The rule of ``domain.numbers`` as it stood when this migration was written:
    a landline or mobile valid both under +33 and, of the same kind, in exactly
    one overseas calling code of the plan is that code's number.
    """
    if not stored.startswith("+33") or len(stored) != 12:
        return None
    try:
        metropolitan = phonenumbers.parse(stored)
    except phonenumbers.NumberParseException:
        return None
    kind = phonenumbers.number_type(metropolitan)
    if kind not in _LINE_TYPES:
        return None
    national = "0" + stored[3:]
    found = {}
    for region in _OVERSEAS_REGIONS:
        try:
            reading = phonenumbers.parse(national, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(reading) and phonenumbers.number_type(reading) == kind:
            found[reading.country_code] = reading
    if len(found) != 1:
        return None
    (reading,) = found.values()
    return phonenumbers.format_number(reading, phonenumbers.PhoneNumberFormat.E164)


def upgrade() -> None:
    conn = op.get_bind()
    marks = "?" if conn.dialect.name == "sqlite" else "%s"
    accounts = conn.exec_driver_sql(
        f"SELECT id FROM accounts WHERE default_region IN ({', '.join([marks] * len(_PLAN))}) "
        "ORDER BY id",
        _PLAN,
    ).fetchall()
    keys: chain.ChainKeys | None = None
    for (account_id,) in accounts:
        entries = conn.exec_driver_sql(
            "SELECT phone_number, created_at FROM stops "
            f"WHERE account_id = {marks} AND phone_number LIKE {marks} ORDER BY id",
            (account_id, "+33%"),
        ).fetchall()
        moves = [
            (old, new, created_at)
            for old, created_at in entries
            if (new := overseas_number(old)) is not None
        ]
        if not moves:
            continue
        keys = keys or chain.chain_keys(conn)
        written = [move for move in moves if _stop_overseas(conn, marks, keys, account_id, *move)]
        if written:
            _touch_list(conn, marks, account_id)
    ids = [account_id for (account_id,) in accounts]
    if ids:
        _erase_overseas(conn, marks, keys, ids)


def _stop_overseas(
    conn: sa.Connection,
    marks: str,
    keys: chain.ChainKeys,
    account_id: int,
    old: str,
    new: str,
    created_at: int,
) -> bool:
    """Stop ``new`` as ``old`` is, unless a decision about ``new`` itself stands."""
    digest = chain.number_digest(keys, new)
    if _decided(conn, marks, account_id, new, digest, since=created_at):
        return False
    now = int(time.time() * 1_000_000)
    details = orjson.dumps({"formerly": old}).decode()
    event: dict[str, Any] = {
        "kind": "opt_out",
        "source": "upgrade",
        "event_at": now,
        "received_at": now,
        "provider": None,
        "provider_message_id": None,
        "actor": None,
        "reason": _REASON,
        "details": details,
        "provider_time_raw": None,
    }
    head = chain.take_head(conn, account_id)
    seq = head.length + 1
    own = chain.link_hash(
        keys, head.hash, chain.fields_digest(account_id, **event), seq, digest, None
    )
    conn.exec_driver_sql(
        "INSERT INTO events (account_id, phone_number, kind, source, event_at, received_at, "
        "reason, details, chain_seq, prev_hash, hash, number_digest) "
        f"VALUES ({', '.join([marks] * 12)})",
        (account_id, new, "opt_out", "upgrade", now, now, _REASON, details, seq, head.hash, own,
         digest),
    )  # fmt: skip
    event_id = conn.exec_driver_sql(
        f"SELECT id FROM events WHERE account_id = {marks} AND chain_seq = {marks}",
        (account_id, seq),
    ).scalar_one()
    conn.exec_driver_sql(
        "INSERT INTO stops (account_id, phone_number, created_at, source, event_id) "
        f"VALUES ({marks}, {marks}, {marks}, {marks}, {marks})",
        (account_id, new, created_at, "upgrade", event_id),
    )
    chain.set_head(conn, account_id, chain.Head(seq, own))
    return True


def _erase_overseas(
    conn: sa.Connection, marks: str, keys: chain.ChainKeys | None, account_ids: list[int]
) -> None:
    """Erase the overseas number of each erased ``+33`` reading too (see the docstring)."""
    rows = conn.exec_driver_sql(
        "SELECT account_id, number_digest, stop_id, created_at, source, erased_at, event_id "
        "FROM erased_numbers WHERE lifted_at IS NULL "
        f"AND account_id IN ({', '.join([marks] * len(account_ids))})",
        tuple(account_ids),
    ).fetchall()
    if not rows:
        return
    keys = keys or chain.chain_keys(conn)
    erased: dict[bytes, list[Any]] = {}
    for row in rows:
        erased.setdefault(bytes(row[1]), []).append(row)
    digest = keys.number_mac.digest
    touched = set()
    for prefix in _SHADOWED_PREFIXES:
        for rest in range(1_000_000):
            old = f"+33{prefix}{rest:06d}"
            entries = erased.get(digest(old.encode()))
            if entries is None or (new := overseas_number(old)) is None:
                continue
            for account_id, _, *entry in entries:
                if _erase_as(conn, marks, keys, account_id, new, tuple(entry)):
                    touched.add(account_id)
    for account_id in sorted(touched):
        _touch_list(conn, marks, account_id)


def _erase_as(
    conn: sa.Connection,
    marks: str,
    keys: chain.ChainKeys,
    account_id: int,
    new: str,
    entry: tuple[Any, ...],
) -> bool:
    """Give ``new`` the erased ``entry`` (its stop, date, source, erasure date and event)
    unless a decision about ``new`` itself stands."""
    digest = chain.number_digest(keys, new)
    if _decided(conn, marks, account_id, new, digest, since=entry[1]):
        return False
    conn.exec_driver_sql(
        "INSERT INTO erased_numbers (account_id, number_digest, stop_id, created_at, source, "
        f"erased_at, event_id) VALUES ({', '.join([marks] * 7)})",
        (account_id, digest, *entry),
    )
    return True


def _decided(
    conn: sa.Connection, marks: str, account_id: int, new: str, digest: bytes, *, since: int
) -> bool:
    """Whether ``new`` is stopped or erased already, or was opted in at ``since`` or later."""
    found = conn.exec_driver_sql(
        f"SELECT 1 FROM stops WHERE account_id = {marks} AND phone_number = {marks} "
        f"UNION ALL SELECT 1 FROM erased_numbers WHERE account_id = {marks} "
        f"AND number_digest = {marks} "
        f"UNION ALL SELECT 1 FROM events WHERE account_id = {marks} AND phone_number = {marks} "
        f"AND kind = 'opt_in' AND event_at >= {marks}",
        (account_id, new, account_id, digest, account_id, new, since),
    ).first()
    return found is not None


def _touch_list(conn: sa.Connection, marks: str, account_id: int) -> None:
    """A new list version, so that no kept copy or node's index outlives this change."""
    version = "random() & 9223372036854775807"
    if conn.dialect.name != "sqlite":
        version = "(random() * 4e18)::bigint"
    conn.exec_driver_sql(
        f"UPDATE accounts SET list_version = {version}, list_event_id = "
        f"(SELECT max(id) FROM events WHERE account_id = {marks}) WHERE id = {marks}",
        (account_id, account_id),
    )


def downgrade() -> None:
    """The stops and events written stay: removing an opt-out is never done silently."""
