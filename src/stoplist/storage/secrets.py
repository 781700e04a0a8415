"""Secrets the server must read back, encrypted with a key kept outside the database.

Twilio auth tokens, Vonage and generic signature secrets, outgoing webhook
signing secrets, inbound tokens (shown again in the dashboard) and the
dashboard's session key are stored sealed with Fernet (AES-128-CBC plus
HMAC-SHA256, from ``cryptography``). A copy of the database alone, or a
backup of it, gives none of them away.

The key is a file: ``STOPLIST_SECRETS_KEY_FILE`` when set, otherwise
``<database file>-secrets.key`` beside a SQLite database, or
``stoplist-secrets.key`` in the working directory for PostgreSQL. It is
created on first start, readable by its owner only. The database remembers
which key sealed its secrets (a sealed known value in ``server_settings``):
a process with another key, or none while the database already holds
secrets, refuses to start instead of sealing with a second key or
generating a new one (several nodes sharing one PostgreSQL database must
all be given the same file).
"""

from __future__ import annotations

import hmac
import os
import threading
import weakref
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Connection, Engine, insert, select
from sqlalchemy.exc import IntegrityError

from stoplist.storage.schema import server_settings

KEY_FILE_ENV = "STOPLIST_SECRETS_KEY_FILE"
POSTGRES_KEY_FILE = "stoplist-secrets.key"
SQLITE_KEY_SUFFIX = "-secrets.key"
SEALED_PREFIX = "enc1:"
CHECK_SETTING = "secrets_key_check"
_CHECK_VALUE = "stoplist secrets key"
_MEMO_LIMIT = 4096


class SecretsKeyError(RuntimeError):
    """The key file is missing, unreadable, or not the key this database's secrets use."""


class SecretBox:
    """Seals and opens text with one key; opened values are remembered, as they
    are asked for on every request that needs them."""

    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)
        self._key = key
        self._opened: dict[str, str] = {}
        self._derived: dict[str, bytes] = {}

    def derived_key(self, purpose: str) -> bytes:
        """A 32-byte key for ``purpose`` (keyed hashes), derived from this key, never stored.

        Whoever holds only the database cannot compute it, and every process
        given the same key file derives the same one.
        """
        found = self._derived.get(purpose)
        if found is None:
            label = b"stoplist derived key: " + purpose.encode()
            found = self._derived[purpose] = hmac.new(self._key, label, "sha256").digest()
        return found

    def seal(self, plain: str) -> str:
        return SEALED_PREFIX + self._fernet.encrypt(plain.encode()).decode()

    def open(self, sealed: str) -> str:
        """The plain text of ``sealed``; ``SecretsKeyError`` if this key did not seal it."""
        plain = self._opened.get(sealed)
        if plain is not None:
            return plain
        if not sealed.startswith(SEALED_PREFIX):
            raise SecretsKeyError("a secret in the database is not sealed")
        try:
            plain = self._fernet.decrypt(sealed[len(SEALED_PREFIX) :].encode()).decode()
        except InvalidToken:
            raise SecretsKeyError("a secret in the database was sealed with another key") from None
        if len(self._opened) >= _MEMO_LIMIT:
            self._opened.clear()
        self._opened[sealed] = plain
        return plain


_boxes: dict[str, SecretBox] = {}
_by_engine: weakref.WeakKeyDictionary[Engine, SecretBox] = weakref.WeakKeyDictionary()
"""Every API request opens its account's token: the look-up must cost next to nothing."""
_configured: weakref.WeakKeyDictionary[Engine, Path] = weakref.WeakKeyDictionary()
_process_key_file: Path | None = None
_lock = threading.Lock()


def configure(engine: Engine, key_file: Path | None) -> None:
    """Keep ``engine``'s key in ``key_file`` (``STOPLIST_SECRETS_KEY_FILE``), not the default."""
    if key_file is not None:
        _configured[engine] = Path(key_file).expanduser()


def use_key_file(key_file: Path | None) -> None:
    """Make ``key_file`` the key of every database this process opens without one of its own
    (a program embedding stoplist, or a test run, sets it once)."""
    global _process_key_file
    _process_key_file = key_file


def key_path(engine: Engine) -> Path | None:
    """Where the key of ``engine``'s database is kept (None: an in-memory database)."""
    configured = _configured.get(engine) or _process_key_file
    if configured is not None:
        return configured
    url = engine.url
    if url.get_backend_name() == "sqlite":
        if url.database in (None, "", ":memory:"):
            return None
        return Path(url.database + SQLITE_KEY_SUFFIX)
    return Path(POSTGRES_KEY_FILE).resolve()


def box(bind: Connection | Engine) -> SecretBox:
    """The box for ``bind``'s database, its key read (or made) and checked once per process.

    Pass the connection of an open transaction when there is one: on SQLite a
    second connection would wait for its lock.
    """
    engine = bind.engine
    found = _by_engine.get(engine)
    if found is not None:
        return found
    path = key_path(engine)
    cache_key = f"{engine.url!r}|{path}"
    with _lock:
        found = _boxes.get(cache_key)
        if found is not None:
            _by_engine[engine] = found
            return found
        if isinstance(bind, Connection):
            made = _checked_box(bind, path)
        else:
            with engine.begin() as conn:
                made = _checked_box(conn, path)
        _boxes[cache_key] = _by_engine[engine] = made
        return made


def seal(bind: Connection | Engine, plain: str | None) -> str | None:
    return None if plain is None else box(bind).seal(plain)


def open_sealed(bind: Connection | Engine, sealed: str | None) -> str | None:
    return None if sealed is None else box(bind).open(sealed)


def _checked_box(conn: Connection, path: Path | None) -> SecretBox:
    check = conn.execute(
        select(server_settings.c.value).where(server_settings.c.name == CHECK_SETTING)
    ).scalar_one_or_none()
    if path is None:
        key = Fernet.generate_key()
    elif path.exists():
        key = _read_key(path)
    elif check is not None:
        raise SecretsKeyError(
            f"the secrets key file {path} is missing, and this database holds secrets sealed "
            f"with a key: restore that file (or point {KEY_FILE_ENV} at it)"
        )
    else:
        try:
            key = _create_key(path)
        except OSError as exc:
            raise SecretsKeyError(
                f"cannot create the secrets key file {path} ({exc.strerror or exc}): "
                f"make its directory writable, or point {KEY_FILE_ENV} elsewhere"
            ) from None
    made = SecretBox(key)
    if check is None:
        try:
            with conn.begin_nested():
                conn.execute(
                    insert(server_settings).values(
                        name=CHECK_SETTING, value=made.seal(_CHECK_VALUE)
                    )
                )
        except IntegrityError:  # another process stored it first
            pass
        else:
            return made
        check = conn.execute(
            select(server_settings.c.value).where(server_settings.c.name == CHECK_SETTING)
        ).scalar_one()
    try:
        made.open(check)
    except SecretsKeyError:
        raise SecretsKeyError(
            f"the secrets key in {path} is not the one this database's secrets were sealed "
            f"with: use the same key file on every server that shares the database"
        ) from None
    return made


def _read_key(path: Path) -> bytes:
    try:
        key = path.read_bytes().strip()
        Fernet(key)
    except (OSError, ValueError) as exc:
        raise SecretsKeyError(f"cannot read the secrets key in {path}: {exc}") from None
    return key


def copy_key(source: Engine, destination: Path) -> bool:
    """Give ``destination`` the key of ``source``'s database; False if it already had it.

    A database copied row for row holds secrets sealed with the source's key
    and hashes keyed by it, so the copy's servers must read the same key.
    ``SecretsKeyError`` if the source has no key file, or if ``destination``
    holds another key (it is never replaced: that key may be what another
    database's secrets need).
    """
    path = key_path(source)
    if path is None or not path.exists():
        raise SecretsKeyError(f"the database has no secrets key file ({path}) to copy")
    key = _read_key(path)
    existed = destination.exists()
    found = _read_key(destination) if existed else _create_key(destination, key)
    if found != key:
        raise SecretsKeyError(
            f"{destination} holds another secrets key than {path}: move it away, or point "
            f"{KEY_FILE_ENV} at {path}"
        )
    return not existed


def _create_key(path: Path, key: bytes | None = None) -> bytes:
    """Write ``key`` (a new one by default) to ``path`` with mode 0600, unless another
    process just wrote one: the key in the file is returned.

    The key is written to a file of its own and then linked into place, so a
    concurrent reader sees either no file or the whole key.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    key = key or Fernet.generate_key()
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(key + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            return _read_key(path)
    finally:
        temporary.unlink(missing_ok=True)
    return key
