"""The staged numbers of an import that only a sync put on the list, and their opt-outs.

An import counts a number already on the list as already stopped and
writes nothing for it. A number only a sync stopped is the exception: the
file stopped it too, and a mirror of the upstream's deletions
(``domain.sync``) must then keep it. Its opt-out is chained in bulk, a
block at a time like the import's own (``bulk.insert_opt_out_events``),
with no stop written: the entry keeps its id and date.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Connection

from stoplist.records.events import Source
from stoplist.storage import chain
from stoplist.storage.bulk import CHAIN_BLOCK, insert_opt_out_events, opt_out_fields, probe_params

_SYNC = Source.SYNC.value
_SQLITE_SYNCED = (
    "EXISTS (SELECT 1 FROM stops s WHERE s.account_id = :account AND s.phone_number = t.value "
    "AND s.source = :sync AND NOT EXISTS (SELECT 1 FROM events e WHERE e.account_id = :account "
    "AND e.phone_number = t.value AND e.kind = :opt_out AND e.source <> :sync "
    "AND e.event_at >= s.created_at))"
)
_POSTGRES_SYNCED = (
    " CROSS JOIN LATERAL (SELECT created_at FROM stops WHERE account_id = %(account)s "
    "AND phone_number = t.value AND source = %(sync)s LIMIT 1) s"
    " LEFT JOIN LATERAL (SELECT 1 AS found FROM events WHERE account_id = %(account)s "
    "AND phone_number = t.value AND kind = %(opt_out)s AND source <> %(sync)s "
    "AND event_at >= s.created_at LIMIT 1) e ON TRUE"
)


def staged_synced(conn: Connection, account_id: int) -> Iterator[list[str]]:
    """The staged numbers only a sync may have stopped, in order, ``CHAIN_BLOCK`` at a time.

    Those whose entry's source is ``sync`` and that no other source opted
    out since the entry began (the rule of ``StopList.add`` for one number):
    a probe of the stops' index a number, and one of the events' for an
    entry from sync. The staging table is kept.
    """
    if conn.dialect.name == "sqlite":
        sql = (
            f"SELECT t.value FROM temp.staged_numbers t WHERE t.value > :after "
            f"AND {_SQLITE_SYNCED} ORDER BY t.value LIMIT {CHAIN_BLOCK}"
        )
    else:
        sql = (
            f"SELECT t.value FROM pg_temp.staged_numbers t{_POSTGRES_SYNCED} "
            f"WHERE t.value > %(after)s AND e.found IS NULL ORDER BY t.value LIMIT {CHAIN_BLOCK}"
        )
    params = {**probe_params(account_id), "sync": _SYNC}
    after = ""
    while block := [str(row[0]) for row in conn.exec_driver_sql(sql, {**params, "after": after})]:
        yield block
        after = block[-1]


def insert_reaffirmations(
    conn: Connection, account_id: int, *, source: str, actor: str | None, at: int
) -> int:
    """Chain an opt-out for each staged number only a sync stopped; returns how many.

    The caller holds the list's lock, as for ``bulk.insert_staged_opt_outs``,
    and calls this first: that function's SQLite writer takes the events
    after the highest id it saw as the import's own new entries.
    """
    head = chain.take_head(conn, account_id)
    keys = chain.chain_keys(conn)
    fields = opt_out_fields(account_id, source=source, actor=actor, at=at)
    written = 0
    for block in staged_synced(conn, account_id):
        first = head.length
        links, head = chain.chain_numbers(keys, head, block, fields)
        insert_opt_out_events(
            conn, account_id, block, links, first, source=source, actor=actor, at=at
        )
        written += len(block)
    if written:
        chain.set_head(conn, account_id, head)
    return written
