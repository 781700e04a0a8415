"""Each account's events as a hash chain: what is hashed, and appending to it.

Every event holds its position in its account's chain (``chain_seq``, from
1), the hash of the event before it (``prev_hash``; 32 zero bytes for the
first) and its own ``hash``:

    hash = HMAC-SHA256(link key, prev_hash || fields || seq || number_digest || text_digest)

where ``fields`` is the SHA-256 of the event's other columns as a JSON
array (``fields_digest``), ``seq`` eight bytes big-endian, ``number_digest``
the HMAC-SHA256 of the phone number under the number key, and
``text_digest`` the SHA-256 of the text (nothing when the event has none).
The chain hashes the two digests, never the text or the number, and both
digests are stored on the row: once a retention period blanks a text, or an
erasure removes a number, the chain still verifies from the digests, while a
text or number still present is checked against its digest, so editing
either by hand is caught.

Both keys are derived from the secrets key file (``SecretBox.derived_key``),
never stored: someone holding only the database can neither recompute a
number's digest nor forge the links after editing a row.

Appending locks the account's row of ``event_chains`` (its length and last
hash) in the writer's transaction, so the events of one account are chained
one transaction after another even with several server processes on one
PostgreSQL database; the unique ``(account_id, chain_seq)`` index is the
second guard. ``fields`` is computed once for a whole import, whose events
differ only by number, so chaining a million of them costs two HMACs each.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import orjson
from sqlalchemy import Connection, Engine, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from stoplist.storage import secrets
from stoplist.storage.schema import event_chains, events
from stoplist.storage.text import storable

GENESIS = bytes(32)
"""The ``prev_hash`` of an account's first event."""
_FORMAT = 1
"""The version of what ``fields_digest`` covers; a new format would be a new number."""
NUMBER_KEY_PURPOSE = "event chain number digest v1"
LINK_KEY_PURPOSE = "event chain link v1"


class KeyedSha256:
    """HMAC-SHA256 (RFC 2104) under one key, with the key's two padded blocks hashed once.

    ``hmac.digest`` pads the key, hashes both blocks and sets up OpenSSL's
    HMAC again on every call; an import makes two of these calls per number,
    and starting from copies of the two hashed blocks halves their cost. The
    digests are ``hmac.digest``'s, byte for byte.
    """

    __slots__ = ("_inner", "_outer")

    _BLOCK = 64

    def __init__(self, key: bytes) -> None:
        if len(key) > self._BLOCK:
            key = hashlib.sha256(key).digest()
        padded = key.ljust(self._BLOCK, b"\0")
        self._inner = hashlib.sha256(bytes(byte ^ 0x36 for byte in padded))
        self._outer = hashlib.sha256(bytes(byte ^ 0x5C for byte in padded))

    def digest(self, message: bytes) -> bytes:
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()


@dataclass(frozen=True, slots=True)
class ChainKeys:
    number: bytes
    link: bytes
    number_mac: KeyedSha256 = field(init=False, repr=False, compare=False)
    link_mac: KeyedSha256 = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "number_mac", KeyedSha256(self.number))
        object.__setattr__(self, "link_mac", KeyedSha256(self.link))


def chain_keys(bind: Connection | Engine) -> ChainKeys:
    """The keys of ``bind``'s database (from its secrets key file)."""
    box = secrets.box(bind)
    return ChainKeys(box.derived_key(NUMBER_KEY_PURPOSE), box.derived_key(LINK_KEY_PURPOSE))


def text_digest(text: str | None) -> bytes | None:
    """The digest of the text as the database stores it (NUL and lone surrogates replaced)."""
    return None if text is None else hashlib.sha256(storable(text).encode()).digest()


def _stored(column: str, value: str | None) -> str | None:
    """``value`` as the ``events`` column stores it: the chain hashes what a verifier reads."""
    if value is None:
        return None
    length = getattr(events.c[column].type, "length", None)
    return storable(value, length if isinstance(length, int) else None)


def number_digest(keys: ChainKeys, number: str) -> bytes:
    """The keyed hash of a number: the same number always gives the same digest."""
    return keys.number_mac.digest(number.encode())


ERASED_PREFIX = "#"
"""How an erased number's stand-in starts; a phone number in E.164 starts with ``+``."""


def erased_stand_in(digest: bytes) -> str:
    """What the ``phone_number`` columns hold in place of an erased number.

    Fifteen base32 characters of the number's keyed digest (75 bits): the
    same number always gets the same stand-in, so its history stays together
    and is found again when someone asks about that number, while nothing in
    the database tells which number it was. It fits the 16 characters of
    the columns it replaces.
    """
    return ERASED_PREFIX + base64.b32encode(digest).decode()[:15]


def is_erased_stand_in(value: str) -> bool:
    return value.startswith(ERASED_PREFIX)


def fields_digest(
    account_id: int,
    *,
    kind: str,
    source: str,
    event_at: int,
    received_at: int,
    provider: str | None,
    provider_message_id: str | None,
    actor: str | None,
    reason: str | None,
    details: str | None,
    provider_time_raw: str | None,
) -> bytes:
    """SHA-256 of every hashed column but the number and the text (``details`` as stored)."""
    content = [
        _FORMAT,
        account_id,
        kind,
        source,
        event_at,
        received_at,
        provider,
        _stored("provider_message_id", provider_message_id),
        _stored("actor", actor),
        _stored("reason", reason),
        _stored("details", details),
        _stored("provider_time_raw", provider_time_raw),
    ]
    return hashlib.sha256(orjson.dumps(content)).digest()


def link_hash(
    keys: ChainKeys,
    prev_hash: bytes,
    fields: bytes,
    seq: int,
    number: bytes,
    text: bytes | None,
) -> bytes:
    """An event's own hash, from its predecessor's and its content's digests."""
    message = prev_hash + fields + seq.to_bytes(8, "big") + number + (text or b"")
    return keys.link_mac.digest(message)


@dataclass(frozen=True, slots=True)
class Head:
    """How long an account's chain is, and the hash of its last event."""

    length: int
    hash: bytes


_HEAD = select(event_chains.c.length, event_chains.c.head).where(
    event_chains.c.account_id == bindparam("account")
)
_LOCKED_HEAD = _HEAD.with_for_update()
_SET_HEAD = (
    update(event_chains)
    .where(event_chains.c.account_id == bindparam("account"))
    .values(length=bindparam("new_length"), head=bindparam("new_head"))
)


def take_head(conn: Connection, account_id: int) -> Head:
    """The account's chain head, locked until the transaction ends (made when missing).

    On PostgreSQL ``FOR UPDATE`` makes every other appender of this account
    wait here; SQLite's single writer needs no lock of its own. This and
    ``set_head`` run for every event recorded, so their statements are built
    once.
    """
    account = {"account": account_id}
    row = conn.execute(_LOCKED_HEAD, account).first()
    if row is None:
        try:
            with conn.begin_nested():
                conn.execute(
                    insert(event_chains).values(account_id=account_id, length=0, head=GENESIS)
                )
        except IntegrityError:  # another writer made it first: read (and wait for) theirs
            pass
        row = conn.execute(_LOCKED_HEAD, account).one()
    return Head(int(row.length), bytes(row.head))


def set_head(conn: Connection, account_id: int, head: Head) -> None:
    conn.execute(
        _SET_HEAD, {"account": account_id, "new_length": head.length, "new_head": head.hash}
    )


def read_head(conn: Connection, account_id: int) -> Head:
    """The head without locking it (an account that never had an event has an empty one)."""
    row = conn.execute(_HEAD, {"account": account_id}).first()
    return Head(0, GENESIS) if row is None else Head(int(row.length), bytes(row.head))


LINK_SIZE = 96
"""Bytes per number in ``chain_numbers``'s links: its ``prev_hash``, ``hash``, ``number_digest``."""


def chain_numbers(
    keys: ChainKeys, head: Head, numbers: Sequence[str], fields: bytes
) -> tuple[bytes, Head]:
    """Chain one event per number after ``head``, all with the same ``fields``, text-less.

    Returns the links packed, ``LINK_SIZE`` bytes per number in order, and
    the new head; the number at index ``i`` is at ``seq = head.length + i + 1``.
    The insert slices the links out of one value in SQL: binding three values
    per row from Python cost an import more than the hashing does. This is
    the import's hot loop: two HMACs per number.
    """
    # KeyedSha256.digest, inlined: the method calls alone cost a tenth of the loop.
    number_inner, number_outer = keys.number_mac._inner.copy, keys.number_mac._outer.copy
    link_inner, link_outer = keys.link_mac._inner.copy, keys.link_mac._outer.copy
    prev = head.hash
    seq = head.length
    parts: list[bytes] = []
    append = parts.append
    for number in numbers:
        seq += 1
        inner = number_inner()
        inner.update(number.encode())
        outer = number_outer()
        outer.update(inner.digest())
        digest = outer.digest()
        inner = link_inner()
        inner.update(prev + fields + seq.to_bytes(8, "big") + digest)
        outer = link_outer()
        outer.update(inner.digest())
        own = outer.digest()
        append(prev)
        append(own)
        append(digest)
        prev = own
    return b"".join(parts), Head(seq, prev)
