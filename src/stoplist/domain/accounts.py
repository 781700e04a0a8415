"""Accounts, their API keys, and who may see what.

Every stop list belongs to one account and every request is resolved to one
account before anything is read. API keys are random 192-bit secrets shown
once; only their SHA-256 is stored (a key this random needs no slow hash) and
the stored and presented digests are compared in constant time.

Account names are typed by people (``--account``, the dashboard's sign-in),
so they are found the way people read them: ignoring case and Unicode
normalisation (``Café`` typed with a composed or a decomposed ``é`` is one
name). New names are stored in NFC, the form keyboards produce, and never
two names that read the same. Case folding itself folds the Latin
ligatures, ``ß`` and the long ``ſ`` (``ﬁsh`` is ``fish``, ``Straße`` is
``STRASSE``), so those are one name with their spelled-out forms. Other
compatibility forms, which only NFKC folds (full-width letters,
superscripts, circled letters), are not folded: they look different, so
folding them would merge names their owners can tell apart, and it would
not stop real look-alikes (a Cyrillic ``а`` for a Latin ``a``) anyway.
"""

from __future__ import annotations

import builtins
import hashlib
import hmac
import secrets
import unicodedata
from dataclasses import dataclass

from sqlalchemy import Connection

from stoplist.domain import clock
from stoplist.domain.errors import (
    AccountAmbiguous,
    AccountNameAmbiguous,
    AccountNameEmpty,
    AccountNameNumeric,
    AccountNameTaken,
    AccountNameTakenInOtherCase,
    AccountNotFound,
    ApiKeyNotFound,
    ApiKeyRequired,
    InvalidApiKey,
    UnknownRegion,
)
from stoplist.domain.numbers import DEFAULT_REGION, region_is_known
from stoplist.domain.review import parse_mode
from stoplist.records.models import Account, ApiKey
from stoplist.storage import accounts as store
from stoplist.storage.database import Database

API_KEY_PREFIX = "sl_"
_KEY_BYTES = 24
_TOKEN_BYTES = 24


@dataclass(frozen=True, slots=True)
class NewAccount:
    """What creating an account hands back: the only time the key is visible."""

    account: Account
    api_key: str


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def generate_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(_KEY_BYTES)


def generate_inbound_token() -> str:
    return secrets.token_urlsafe(_TOKEN_BYTES)


class Accounts:
    """Creating, finding and authenticating accounts."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def create(
        self,
        name: str,
        *,
        default_region: str = DEFAULT_REGION,
        timezone: str = clock.DEFAULT_TIMEZONE,
    ) -> NewAccount:
        name = _valid_name(name)
        _check_settings(default_region, timezone)
        api_key = generate_api_key()
        with self.db.write() as conn:
            _check_name_free(conn, name)
            account = store.insert_account(
                conn,
                name=name,
                default_region=default_region.upper(),
                timezone=timezone,
                inbound_token=generate_inbound_token(),
                created_at=clock.now_us(),
            )
            _insert_key(conn, account, api_key, "initial")
        return NewAccount(account, api_key)

    def list(self) -> list[Account]:
        with self.db.read() as conn:
            return store.list_all(conn)

    def get(self, name_or_id: str | int) -> Account:
        """Find an account by id or name (operators type either, spaces around it or not).

        Names of digits alone are refused since they would read as ids; one
        made before that, which is also another account's id, is refused as
        ambiguous rather than taken for either. A name is found ignoring case
        and normalisation when no account has it exactly (see ``account_id_named``).
        """
        text = str(name_or_id).strip()
        with self.db.read() as conn:
            by_id = store.find_by_id(conn, int(text)) if _is_id(text) else None
            named = None if isinstance(name_or_id, int) else account_id_named(conn, text)
            by_name = None if named is None else store.find_by_id(conn, named)
        if by_id is not None and by_name is not None and by_id.id != by_name.id:
            raise AccountAmbiguous(text)
        account = by_id or by_name
        if account is None:
            raise AccountNotFound(name_or_id)
        return account

    def authenticate(self, api_key: str | None) -> Account:
        """The account an API key belongs to, or the contract's error 1 or 10."""
        if api_key is None or not api_key.strip():
            raise ApiKeyRequired()
        digest = hash_secret(api_key.strip())
        found = store.find_by_key_hash(self.db, digest)
        if found is None:
            raise InvalidApiKey()
        account, stored_digest = found
        if not hmac.compare_digest(stored_digest, digest):
            raise InvalidApiKey()
        return account

    def create_key(self, account: Account, label: str | None = None) -> tuple[ApiKey, str]:
        api_key = generate_api_key()
        with self.db.write() as conn:
            key = _insert_key(conn, account, api_key, label)
        return key, api_key

    def list_keys(self, account: Account) -> builtins.list[ApiKey]:
        with self.db.read() as conn:
            return store.list_keys(conn, account.id)

    def revoke_key(self, account: Account, key: str | int) -> ApiKey:
        """Revoke one of ``account``'s keys, named by its id or by the key itself."""
        with self.db.write() as conn:
            if isinstance(key, int) or str(key).isdigit():
                found = store.find_key(conn, account.id, key_id=int(key))
            else:
                found = store.find_key(conn, account.id, key_hash=hash_secret(str(key).strip()))
            if found is None:
                raise ApiKeyNotFound(account.name)
            if found.revoked_at is None:
                store.revoke_key(conn, found.id, clock.now_us())
            return store.find_key(conn, account.id, key_id=found.id)  # type: ignore[return-value]

    def rotate_inbound_token(self, account: Account) -> Account:
        with self.db.write() as conn:
            store.update_account(conn, account.id, inbound_token=generate_inbound_token())
            return store.find_by_id(conn, account.id)  # type: ignore[return-value]

    def find_by_inbound_token(self, token: str) -> Account | None:
        """The account whose inbound URLs carry ``token`` (looked up by its digest)."""
        with self.db.read() as conn:
            account = store.find_by_inbound_token_digest(conn, store.token_digest(token))
        if account is None or not hmac.compare_digest(account.inbound_token, token):
            return None
        return account

    def update_settings(self, account: Account, **changes: object) -> Account:
        """Change an account's settings (region, time zone, opt-in keywords, name, ...).

        ``ValueError`` for an unknown region, time zone or reasonable-means
        mode, or a new name that ``create`` would refuse.
        """
        region = str(changes.get("default_region", account.default_region)).upper()
        timezone = str(changes.get("timezone", account.timezone))
        _check_settings(region, timezone)
        if "default_region" in changes:
            changes["default_region"] = region
        if "reasonable_means" in changes:
            changes["reasonable_means"] = parse_mode(changes["reasonable_means"]).value
        if "name" in changes:
            changes["name"] = _valid_name(str(changes["name"]))
        with self.db.write() as conn:
            if "name" in changes:
                _check_name_free(conn, str(changes["name"]), renamed=account.id)
            store.update_account(conn, account.id, **changes)
            return store.find_by_id(conn, account.id)  # type: ignore[return-value]


def name_key(typed: str) -> str:
    """What ``account_id_named`` compares ``typed`` by, spaces around it dropped.

    The sign-in throttle counts failures by it, so that a name no account has
    is counted exactly as one that is an account's (``shop`` as ``Shop``).
    """
    return _name_key(typed.strip())


def _name_key(name: str) -> str:
    """What two names are compared by: ``Shop`` and ``shop`` are one name to whoever types it.

    Unicode's canonical caseless match (``NFD(casefold(NFD(name)))``): case
    folding alone would tell a composed ``é`` from ``e`` and a combining accent.
    """
    return unicodedata.normalize("NFD", unicodedata.normalize("NFD", name).casefold())


def _valid_name(name: str) -> str:
    """``name`` trimmed and in NFC; refused when empty, or digits alone (it would read as an id)."""
    name = unicodedata.normalize("NFC", name.strip())
    if not name:
        raise AccountNameEmpty()
    if name.isdigit():
        raise AccountNameNumeric()
    return name


def _check_name_free(conn: Connection, name: str, *, renamed: int | None = None) -> None:
    """Refuse ``name`` (in NFC) when another account has it, exactly or ignoring case.

    A name stored before names were normalised is the same name in its NFC
    form. An account being ``renamed`` may change the case of its own name.
    """
    store.lock_names(conn)
    others = [taken for account_id, taken in store.names(conn) if account_id != renamed]
    if name in {unicodedata.normalize("NFC", taken) for taken in others}:
        raise AccountNameTaken(name)
    alike = [taken for taken in others if _name_key(taken) == _name_key(name)]
    if alike:
        raise AccountNameTakenInOtherCase(name, alike[0])


def account_id_named(conn: Connection, name: str) -> int | None:
    """The id of the account named ``name``; failing that, of the one named so by ``_name_key``.

    Names that differ only by case or normalisation are refused, but a
    database may hold some from before: the exact name is then the one meant,
    and a name that only matches several by their key is ambiguous
    (``AccountNameAmbiguous``) rather than taken for one. Every name is read
    and compared whatever the outcome, so the dashboard's sign-in takes as
    long for a name that exists as for one that does not.
    """
    text = name.strip()
    key = _name_key(text)
    exact: list[int] = []
    alike: list[tuple[int, str]] = []
    for account_id, taken in store.names(conn):
        if taken == text:
            exact.append(account_id)
        if _name_key(taken) == key:
            alike.append((account_id, taken))
    if exact:
        return exact[0]
    if len(alike) > 1:
        raise AccountNameAmbiguous(text, tuple(taken for _, taken in alike))
    return alike[0][0] if alike else None


def _insert_key(conn: Connection, account: Account, api_key: str, label: str | None) -> ApiKey:
    prefix = api_key[: len(API_KEY_PREFIX) + 6]
    return store.insert_key(conn, account.id, hash_secret(api_key), prefix, label, clock.now_us())


def _check_settings(region: str, timezone: str) -> None:
    if not region_is_known(region):
        raise UnknownRegion(region)
    clock.zone(timezone)


def _is_id(text: str) -> bool:
    """Whether ``text`` can be an account's id (a row id fits in 63 bits)."""
    return text.isascii() and text.isdigit() and len(text) <= 18
