"""SQL for an account's keyword overrides (additions, redefinitions, removals)."""

from __future__ import annotations

from sqlalchemy import Connection, delete, insert, select, update

from stoplist.storage.schema import keywords


def overrides(conn: Connection, account_id: int) -> dict[str, str]:
    """``{keyword: action}`` for one account, ``action`` as stored."""
    rows = conn.execute(
        select(keywords.c.keyword, keywords.c.action)
        .where(keywords.c.account_id == account_id)
        .order_by(keywords.c.keyword)
    )
    return {row.keyword: row.action for row in rows}


def upsert(conn: Connection, account_id: int, keyword: str, action: str, created_at: int) -> None:
    changed = conn.execute(
        update(keywords)
        .where(keywords.c.account_id == account_id, keywords.c.keyword == keyword)
        .values(action=action, created_at=created_at)
    ).rowcount
    if not changed:
        conn.execute(
            insert(keywords).values(
                account_id=account_id, keyword=keyword, action=action, created_at=created_at
            )
        )


def remove(conn: Connection, account_id: int, keyword: str) -> bool:
    condition = (keywords.c.account_id == account_id) & (keywords.c.keyword == keyword)
    return bool(conn.execute(delete(keywords).where(condition)).rowcount)
