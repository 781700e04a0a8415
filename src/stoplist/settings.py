"""Every option of stoplist, read once at start-up into one frozen ``Settings``.

Each field has an environment variable (``STOPLIST_`` plus its name in
capitals); command-line flags override the environment, which overrides the
defaults. ``stoplist serve`` hands its effective settings to its worker
processes through the environment (``as_environment``), so every process of
one server agrees on them. Nothing else in stoplist reads the environment:
whatever needs an option is given it.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from stoplist.database_url import check_url, masked_url, normalise_url

ENV_PREFIX = "STOPLIST_"
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
LogLevel = Literal["debug", "info", "warning", "error"]
Source = Literal["default", "environment", "flag"]
_SECRET_MASK = "********"
_WHOLE_NUMBERS: dict[str, tuple[str, int, int | None]] = {
    "port": ("not a port number", 1, 65535),
    "workers": ("not a number of processes", 1, None),
    "max_body_bytes": ("not a number of bytes", 1024, None),
    "pool_size": ("not a number of connections", 1, None),
    "pool_overflow": ("not a number of connections", 0, None),
    "check_connections": ("not a number of connections", 1, None),
}
_LEAST_SECONDS = {
    "webhook_retry_seconds": 0.01,
    "webhook_poll_seconds": 0.05,
    "webhook_lease_seconds": 1.0,
    "inbound_lock_wait": 0.05,
}


class Settings(BaseSettings):
    """What a stoplist process is configured with (see the README's Configuration table)."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        case_sensitive=False,
        env_ignore_empty=True,
        extra="ignore",
        frozen=True,
        validate_default=True,
    )

    host: str = Field("127.0.0.1", description="interface serve listens on")
    port: int = Field(8080, description="TCP port serve listens on")
    workers: int = Field(1, description="worker processes serve starts on the same port")
    log_level: LogLevel = Field("info", description="debug, info, warning or error")
    log_format: Literal["text", "json"] = Field("text", description="log lines: text or json")
    database_url: str = Field(
        "stoplist.db", description="SQLAlchemy URL or SQLite file path (password masked)"
    )
    public_url: str | None = Field(
        None, description="base URL clients and providers reach stoplist at"
    )
    trusted_proxies: Annotated[tuple[str, ...], NoDecode] = Field(
        (), description="addresses (IPs or CIDRs) whose forwarded headers are believed"
    )
    proxy_headers: Literal["x-forwarded", "forwarded"] = Field(
        "x-forwarded",
        description="which headers the trusted proxies set: x-forwarded (X-Forwarded-For, "
        "-Proto, -Host, as nginx does) or forwarded (RFC 7239); the other kind is ignored",
    )
    secret_key: SecretStr | None = Field(
        None, description="signs dashboard sessions (default: one kept in the database)"
    )
    max_body_bytes: int = Field(
        DEFAULT_MAX_BODY_BYTES, description="largest request body the API reads"
    )
    list_cache_dir: str | None = Field(
        None, description="where whole lists are kept ('off': nowhere; default: beside SQLite)"
    )
    inbound_spool_dir: str | None = Field(
        None,
        description="where inbound messages wait while their list is locked "
        "('off': they wait for the lock; default: beside SQLite)",
    )
    inbound_lock_wait: float = Field(
        5.0, description="seconds an inbound message waits for its list before it is spooled"
    )
    webhook_dispatch: bool = Field(True, description="serve sends webhook deliveries itself")
    webhook_retry_seconds: float = Field(5.0, description="first retry delay, doubling")
    webhook_poll_seconds: float = Field(1.0, description="how often due deliveries are sought")
    webhook_lease_seconds: float = Field(60.0, description="how long a claimed delivery is held")
    webhook_retention_days: float = Field(
        30.0, description="days finished deliveries are kept (0: for good)"
    )
    webhook_allow_private: bool = Field(
        False, description="webhook endpoints may be private or loopback addresses"
    )
    smspartner_url: str = Field(
        "https://api.smspartner.fr/v1", description="SMS Partner API that confirmations go to"
    )
    metrics_token: SecretStr | None = Field(None, description="bearer token /metrics requires")
    secrets_key_file: Path | None = Field(
        None, description="file holding the key that encrypts stored secrets"
    )
    pool_size: int = Field(8, description="database connections each worker keeps open")
    pool_overflow: int = Field(
        32, description="connections a worker may open past pool_size under load"
    )
    check_connections: int = Field(
        2, description="PostgreSQL connections each worker keeps for the key and check reads"
    )
    prepared_statements: bool = Field(
        True,
        description="PostgreSQL: prepare repeated statements on the server "
        "(0 behind PgBouncer before 1.21 in transaction mode)",
    )

    @field_validator(
        "port",
        "workers",
        "max_body_bytes",
        "pool_size",
        "pool_overflow",
        "check_connections",
        mode="before",
    )
    @classmethod
    def _whole(cls, value: Any, info: ValidationInfo) -> int:
        message, least, most = _WHOLE_NUMBERS[str(info.field_name)]
        number = _whole_number(value, message)
        if number < least or (most is not None and number > most):
            bounds = f"at least {least}" if most is None else f"{least} to {most}"
            raise ValueError(f"{message} ({bounds})")
        return number

    @field_validator("host")
    @classmethod
    def _host(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value.strip()

    @field_validator("log_level", mode="before")
    @classmethod
    def _log_level(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _log_format(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        url = normalise_url(value.strip())
        check_url(url)
        return url

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        return None if value is None else public_base_url(value)

    @field_validator("smspartner_url")
    @classmethod
    def _smspartner_url(cls, value: str) -> str:
        text = value.strip().rstrip("/")
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("not an http:// or https:// URL")
        return text

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _trusted_proxies(cls, value: Any) -> tuple[str, ...]:
        items = value.split(",") if isinstance(value, str) else list(value or ())
        networks = []
        for item in (str(item).strip() for item in items):
            if not item:
                continue
            try:
                networks.append(str(ipaddress.ip_network(item, strict=False)))
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or network") from None
        return tuple(networks)

    @field_validator(
        "webhook_retry_seconds",
        "webhook_poll_seconds",
        "webhook_lease_seconds",
        "inbound_lock_wait",
    )
    @classmethod
    def _seconds(cls, value: float, info: ValidationInfo) -> float:
        least = _LEAST_SECONDS[str(info.field_name)]
        if value < least:
            raise ValueError(f"at least {least:g} seconds")
        return value

    @field_validator("webhook_retention_days")
    @classmethod
    def _not_negative(cls, value: float) -> float:
        if value < 0:
            raise ValueError("must be 0 or more")
        return value

    @property
    def secret_key_value(self) -> str | None:
        return self.secret_key.get_secret_value() if self.secret_key else None

    @property
    def metrics_token_value(self) -> str | None:
        return self.metrics_token.get_secret_value() if self.metrics_token else None

    @property
    def retention_days(self) -> float | None:
        """Days finished webhook deliveries are kept; None keeps them for good."""
        return self.webhook_retention_days or None

    def as_environment(self) -> dict[str, str]:
        """The environment that makes another process load exactly these settings."""
        values: dict[str, str] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if value is None:
                continue
            values[env_name(name)] = _plain(value)
        return values


class InvalidSettings(Exception):
    """One line per invalid value, each naming the flag or variable it came from."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


@dataclass(frozen=True, slots=True)
class Described:
    """One row of ``stoplist config``."""

    name: str
    variable: str
    value: str
    source: Source


def env_name(field: str) -> str:
    return ENV_PREFIX + field.upper()


def load_settings(flags: Mapping[str, Any] | None = None) -> Settings:
    """The settings from ``flags`` (None values ignored), else the environment, else defaults.

    Raises ``InvalidSettings`` naming each bad value's flag or variable.
    """
    given = {name: value for name, value in (flags or {}).items() if value is not None}
    try:
        return Settings(**given)
    except ValidationError as error:
        raise InvalidSettings(_explain(error, given)) from None


def describe(settings: Settings, flags: Mapping[str, Any] | None = None) -> list[Described]:
    """Every setting with its shown value (secrets masked) and where it came from."""
    given = {name for name, value in (flags or {}).items() if value is not None}
    environment = {key.upper() for key, value in os.environ.items() if value != ""}
    rows = []
    for name in Settings.model_fields:
        source: Source = "default"
        if name in given:
            source = "flag"
        elif env_name(name) in environment:
            source = "environment"
        rows.append(
            Described(
                name,
                env_name(name),
                shown_value(name, getattr(settings, name)),
                source,
            )
        )
    return rows


def shown_value(name: str, value: Any) -> str:
    """A value as it may be printed or logged: secrets and passwords masked."""
    if value is None:
        return ""
    if isinstance(value, SecretStr):
        return _SECRET_MASK
    if name == "database_url":
        return masked_url(value)
    return _plain(value)


def public_base_url(value: str) -> str:
    """``scheme://host[:port]`` of a public URL, or ``ValueError`` saying what is wrong."""
    text = value.strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("not an http:// or https:// URL")
    if parts.path or parts.query or parts.fragment:
        raise ValueError("only a scheme and host (and port), like https://stoplist.example.com")
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise ValueError("not a valid port in the URL") from None
    return f"{parts.scheme}://{parts.netloc}".lower()


def _whole_number(value: Any, message: str) -> int:
    if isinstance(value, bool):
        raise ValueError(message)
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        raise ValueError(message) from None


_FLAG_NAMES = {"database_url": "--database"}
_MESSAGES = {
    "int_parsing": "not a whole number",
    "float_parsing": "not a number",
    "bool_parsing": "not a yes/no value (use 1 or 0)",
}


def _explain(error: ValidationError, flags: Iterable[str]) -> list[str]:
    flags = set(flags)
    lines = []
    for problem in error.errors(include_url=False):
        field = str(problem["loc"][0]) if problem["loc"] else ""
        label = _FLAG_NAMES.get(field, "--" + field.replace("_", "-"))
        if field not in flags:
            label = env_name(field)
        message = _MESSAGES.get(problem["type"]) or _short(problem["msg"])
        raw = problem.get("input")
        if field in ("secret_key", "metrics_token"):
            lines.append(f"{label}: {message}")
        else:
            shown = masked_url(str(raw)) if field == "database_url" else raw
            lines.append(f"{label}: {message}: {shown!r}")
    return lines


def _short(message: str) -> str:
    for prefix in ("Value error, ", "Input "):
        if message.startswith(prefix):
            message = message[len(prefix) :]
    return message


def _plain(value: Any) -> str:
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, tuple):
        return ",".join(value)
    return str(value)
