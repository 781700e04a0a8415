"""SQL behind the dashboard: activity, events, list pages, passwords, sessions, throttle.

Every query takes the account id and filters on it first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, delete, func, insert, or_, select, text, update
from sqlalchemy.exc import IntegrityError

from stoplist.records.events import Event
from stoplist.records.models import Stop
from stoplist.storage import secrets
from stoplist.storage.events import event_of
from stoplist.storage.schema import (
    accounts,
    api_keys,
    dashboard_sessions,
    dashboard_sign_in_failures,
    events,
    server_settings,
    stops,
)

ActivityRow = tuple[int, str, str, int]
"""``(bucket, kind, source, count)``: events per time bucket, kind and source."""


def activity(
    conn: Connection,
    account_id: int,
    *,
    since: int,
    bucket_us: int,
    kinds: Sequence[str],
) -> list[ActivityRow]:
    """Count events of ``kinds`` since ``since``, grouped by ``event_at // bucket_us``.

    Grouping by short buckets in SQL keeps the answer small however many
    events there are; turning buckets into local days is left to the caller.
    An event never happens after it arrives, so bounding ``received_at`` too
    changes nothing but lets the query use the account's arrival index.
    """
    bucket = events.c.event_at.op("/")(bucket_us).label("bucket")
    query = (
        select(bucket, events.c.kind, events.c.source, func.count())
        .where(
            events.c.account_id == account_id,
            events.c.received_at >= since,
            events.c.event_at >= since,
            events.c.kind.in_(kinds),
        )
        .group_by(bucket, events.c.kind, events.c.source)
    )
    return [(int(b), k, s, int(n)) for b, k, s, n in conn.execute(query)]


def latest_events(conn: Connection, account_id: int, limit: int) -> list[Event]:
    rows = conn.execute(
        select(events)
        .where(events.c.account_id == account_id)
        .order_by(events.c.received_at.desc(), events.c.id.desc())
        .limit(limit)
    )
    return [event_of(row) for row in rows]


def _stops_filtered(
    query: Any,
    account_id: int,
    since: int | None,
    until: int | None,
    sources: Sequence[str] | None,
    numbers: NumberFilter | None = None,
) -> Any:
    query = query.where(stops.c.account_id == account_id)
    if numbers is not None:
        query = query.where(_number_condition(numbers))
    if since is not None:
        query = query.where(stops.c.created_at >= since)
    if until is not None:
        query = query.where(stops.c.created_at < until)
    if sources is not None:
        query = query.where(stops.c.source.in_(sources))
    return query


NumberFilter = tuple[str, tuple[str, ...]]
"""``("exact" | "prefix" | "contains", texts)``: which numbers a list search keeps, those
that match any of ``texts``.

Each text holds only ``+`` and ASCII digits (the domain builds them), so none
carries a LIKE wildcard.
"""


def _number_condition(numbers: NumberFilter) -> Any:
    how, texts = numbers
    if how == "exact":
        return stops.c.phone_number.in_(texts)
    pattern = "{}%" if how == "prefix" else "%{}%"
    return or_(*(stops.c.phone_number.like(pattern.format(text)) for text in texts))


def count_stops(
    conn: Connection,
    account_id: int,
    *,
    since: int | None = None,
    until: int | None = None,
    sources: Sequence[str] | None = None,
    numbers: NumberFilter | None = None,
) -> int:
    query = select(func.count()).select_from(stops)
    filtered = _stops_filtered(query, account_id, since, until, sources, numbers)
    return int(conn.execute(filtered).scalar_one())


def page_stops(
    conn: Connection,
    account_id: int,
    *,
    since: int | None = None,
    until: int | None = None,
    sources: Sequence[str] | None = None,
    numbers: NumberFilter | None = None,
    newest_first: bool = True,
    offset: int = 0,
    limit: int = 50,
) -> list[Stop]:
    query = _stops_filtered(select(stops), account_id, since, until, sources, numbers)
    if newest_first:
        query = query.order_by(stops.c.created_at.desc(), stops.c.id.desc())
    else:
        query = query.order_by(stops.c.created_at, stops.c.id)
    rows = conn.execute(query.offset(offset).limit(limit))
    return [
        Stop(row.id, row.account_id, row.phone_number, row.created_at, row.source) for row in rows
    ]


def password_hash(conn: Connection, account_id: int | None) -> str | None:
    """The account's password hash; queried for no account (``None``) too, as long as for one."""
    return conn.execute(
        select(accounts.c.dashboard_password_hash).where(accounts.c.id == account_id)
    ).scalar_one_or_none()


def set_password_hash(conn: Connection, account_id: int, value: str | None) -> None:
    conn.execute(
        update(accounts).where(accounts.c.id == account_id).values(dashboard_password_hash=value)
    )


def replace_password_hash(conn: Connection, account_id: int, old: str, new: str) -> None:
    """Store ``new`` only if the password is still the one ``old`` hashes (a rehash)."""
    conn.execute(
        update(accounts)
        .where(accounts.c.id == account_id, accounts.c.dashboard_password_hash == old)
        .values(dashboard_password_hash=new)
    )


SessionRow = tuple[int, str, int | None]
"""``(account_id, method, key_id)`` of a live session."""


def insert_session(
    conn: Connection,
    id_hash: str,
    account_id: int,
    method: str,
    key_id: int | None,
    *,
    now: int,
    expires_at: int,
) -> None:
    conn.execute(
        insert(dashboard_sessions).values(
            id_hash=id_hash,
            account_id=account_id,
            method=method,
            key_id=key_id,
            created_at=now,
            expires_at=expires_at,
        )
    )


def live_session(conn: Connection, id_hash: str, now: int) -> SessionRow | None:
    """The session, if it has not expired and its key (when opened with one) is active."""
    row = conn.execute(
        select(dashboard_sessions.c.account_id, dashboard_sessions.c.method, api_keys.c.id)
        .select_from(
            dashboard_sessions.outerjoin(
                api_keys,
                (api_keys.c.id == dashboard_sessions.c.key_id)
                & (api_keys.c.account_id == dashboard_sessions.c.account_id)
                & api_keys.c.revoked_at.is_(None),
            )
        )
        .where(dashboard_sessions.c.id_hash == id_hash, dashboard_sessions.c.expires_at > now)
    ).first()
    if row is None:
        return None
    account_id, method, key_id = row
    if method == "key" and key_id is None:
        return None
    return int(account_id), str(method), key_id


def delete_session(conn: Connection, id_hash: str) -> None:
    conn.execute(delete(dashboard_sessions).where(dashboard_sessions.c.id_hash == id_hash))


def delete_sessions(conn: Connection, account_id: int, *, method: str | None = None) -> int:
    """End the account's sessions (only those opened by ``method`` if given); how many."""
    query = delete(dashboard_sessions).where(dashboard_sessions.c.account_id == account_id)
    if method is not None:
        query = query.where(dashboard_sessions.c.method == method)
    return conn.execute(query).rowcount


def delete_expired_sessions(conn: Connection, now: int) -> None:
    conn.execute(delete(dashboard_sessions).where(dashboard_sessions.c.expires_at <= now))


def delete_old_failures(conn: Connection, before: int) -> None:
    """Failures too old to count (indexed by time, so this stays cheap)."""
    conn.execute(
        delete(dashboard_sign_in_failures).where(dashboard_sign_in_failures.c.failed_at < before)
    )


_PG_SIGN_IN_LOCK = 0x5354_4F50_5349_474E  # "STOPSIGN"
"""Advisory lock that makes counting and recording an attempt one step on PostgreSQL."""


def lock_attempts(conn: Connection) -> None:
    """Hold the sign-in attempt lock until the transaction ends.

    SQLite writers already run one at a time. PostgreSQL's READ COMMITTED would
    let a burst of parallel guesses all count the same failures and all pass.
    """
    if conn.dialect.name != "sqlite":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_SIGN_IN_LOCK})


def count_failures(
    conn: Connection, since: int, *, client: str | None = None, name_key: str | None = None
) -> int:
    """Failed password sign-ins since ``since`` from ``client`` and/or at ``name_key``."""
    query = select(func.count()).where(dashboard_sign_in_failures.c.failed_at >= since)
    if client is not None:
        query = query.where(dashboard_sign_in_failures.c.client == client)
    if name_key is not None:
        query = query.where(dashboard_sign_in_failures.c.name_key == name_key)
    return int(conn.execute(query).scalar_one())


def insert_failure(conn: Connection, client: str, name_key: str, now: int) -> int:
    return int(
        conn.execute(
            insert(dashboard_sign_in_failures)
            .values(client=client, name_key=name_key, failed_at=now)
            .returning(dashboard_sign_in_failures.c.id)
        ).scalar_one()
    )


def clear_failures(conn: Connection, client: str, name_key: str, attempt_id: int) -> None:
    """Forget ``client``'s failures at ``name_key`` (and the attempt just made)."""
    conn.execute(
        delete(dashboard_sign_in_failures).where(
            or_(
                dashboard_sign_in_failures.c.id == attempt_id,
                (dashboard_sign_in_failures.c.client == client)
                & (dashboard_sign_in_failures.c.name_key == name_key),
            )
        )
    )


def active_key_id(conn: Connection, account_id: int, key_hash: str) -> int | None:
    return conn.execute(
        select(api_keys.c.id).where(
            api_keys.c.account_id == account_id,
            api_keys.c.key_hash == key_hash,
            api_keys.c.revoked_at.is_(None),
        )
    ).scalar_one_or_none()


def setting(conn: Connection, name: str) -> str | None:
    return conn.execute(
        select(server_settings.c.value).where(server_settings.c.name == name)
    ).scalar_one_or_none()


def sealed_setting_or_insert(conn: Connection, name: str, make: Callable[[], str]) -> str:
    """``setting_or_insert`` for a secret: stored sealed (``storage.secrets``), returned open."""
    box = secrets.box(conn)
    return box.open(setting_or_insert(conn, name, lambda: box.seal(make())))


def setting_or_insert(conn: Connection, name: str, make: Callable[[], str]) -> str:
    """The stored value of ``name``, storing ``make()`` first if there is none.

    Two processes may race to create it; the loser reads the winner's value.
    """
    existing = setting(conn, name)
    if existing is not None:
        return existing
    try:
        with conn.begin_nested():
            conn.execute(insert(server_settings).values(name=name, value=make()))
    except IntegrityError:
        pass
    value = setting(conn, name)
    assert value is not None
    return value
