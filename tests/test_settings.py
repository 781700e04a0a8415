"""The settings object: sources and their order, validation messages, masking, hand-over."""

from __future__ import annotations

import os

import pytest
from pydantic import ValidationError

from stoplist.settings import (
    InvalidSettings,
    Settings,
    describe,
    env_name,
    load_settings,
    shown_value,
)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No setting of the surrounding shell leaks into these tests."""
    for name in Settings.model_fields:
        monkeypatch.delenv(env_name(name), raising=False)


def _refusal(flags: dict[str, object] | None = None) -> list[str]:
    with pytest.raises(InvalidSettings) as raised:
        load_settings(flags)
    return raised.value.lines


def test_defaults_then_environment_then_flags(monkeypatch):
    assert load_settings().port == 8080
    monkeypatch.setenv("STOPLIST_PORT", "9000")
    monkeypatch.setenv("STOPLIST_WORKERS", "3")
    settings = load_settings({"port": "9100", "host": None})
    assert (settings.port, settings.workers, settings.host) == (9100, 3, "127.0.0.1")
    sources = {row.variable: row.source for row in describe(settings, {"port": "9100"})}
    assert sources["STOPLIST_PORT"] == "flag"
    assert sources["STOPLIST_WORKERS"] == "environment"
    assert sources["STOPLIST_HOST"] == "default"


def test_each_invalid_value_is_one_line_naming_its_variable_or_flag(monkeypatch):
    monkeypatch.setenv("STOPLIST_PORT", "abc")
    assert _refusal() == ["STOPLIST_PORT: not a port number: 'abc'"]
    assert _refusal({"port": "70000"}) == ["--port: not a port number (1 to 65535): '70000'"]
    monkeypatch.delenv("STOPLIST_PORT")
    monkeypatch.setenv("STOPLIST_WEBHOOK_DISPATCH", "maybe")
    monkeypatch.setenv("STOPLIST_LOG_FORMAT", "xml")
    lines = _refusal({"workers": "0"})
    assert "--workers: not a number of processes (at least 1): '0'" in lines
    assert "STOPLIST_WEBHOOK_DISPATCH: not a yes/no value (use 1 or 0): 'maybe'" in lines
    assert "STOPLIST_LOG_FORMAT: should be 'text' or 'json': 'xml'" in lines
    assert len(lines) == 3


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("STOPLIST_TRUSTED_PROXIES", "10.0.0.0/8, proxy.local", "'proxy.local' is not an IP"),
        ("STOPLIST_PUBLIC_URL", "stoplist.example.com", "not an http:// or https:// URL"),
        ("STOPLIST_PUBLIC_URL", "https://example.com/stoplist", "only a scheme and host"),
        ("STOPLIST_MAX_BODY_BYTES", "1MB", "not a number of bytes"),
        ("STOPLIST_WEBHOOK_LEASE_SECONDS", "0.5", "at least 1 seconds"),
        ("STOPLIST_POOL_SIZE", "0", "not a number of connections (at least 1)"),
        ("STOPLIST_POOL_OVERFLOW", "-1", "not a number of connections (at least 0)"),
        ("STOPLIST_CHECK_CONNECTIONS", "two", "not a number of connections"),
        ("STOPLIST_WEBHOOK_RETENTION_DAYS", "-1", "must be 0 or more"),
        ("STOPLIST_LOG_LEVEL", "verbose", "should be 'debug', 'info', 'warning' or 'error'"),
        ("STOPLIST_DATABASE_URL", "mysql://u:hunter2@db/x", "not a database stoplist supports"),
        ("STOPLIST_DATABASE_URL", "sqlite://", "an in-memory database keeps nothing"),
        ("STOPLIST_DATABASE_URL", "sqlite:///", "an in-memory database keeps nothing"),
        ("STOPLIST_DATABASE_URL", "sqlite:///:memory:", "an in-memory database keeps nothing"),
        (
            "STOPLIST_DATABASE_URL",
            "sqlite:///file::memory:?uri=true",
            "an in-memory database keeps nothing",
        ),
        ("STOPLIST_DATABASE_URL", "postgresql://u:hunter2@db:abc/x", "port in the URL is not a"),
    ],
)
def test_invalid_values_say_what_is_wrong(monkeypatch, variable, value, message):
    monkeypatch.setenv(variable, value)
    [line] = _refusal()
    assert line.startswith(f"{variable}: ") and message in line
    assert "hunter2" not in line


def test_values_are_normalised(monkeypatch, tmp_path):
    monkeypatch.setenv("STOPLIST_TRUSTED_PROXIES", " 127.0.0.1, 10.0.0.0/8 ,::1,")
    monkeypatch.setenv("STOPLIST_PUBLIC_URL", "HTTPS://Stoplist.Example.com:8443/")
    monkeypatch.setenv("STOPLIST_LOG_LEVEL", "DEBUG")
    monkeypatch.setenv("STOPLIST_WEBHOOK_DISPATCH", "0")
    monkeypatch.setenv("STOPLIST_WEBHOOK_RETENTION_DAYS", "0")
    monkeypatch.setenv("STOPLIST_METRICS_TOKEN", "")  # empty is unset
    monkeypatch.chdir(tmp_path)
    settings = load_settings({"database_url": "postgres://u@h/db"})
    assert settings.trusted_proxies == ("127.0.0.1/32", "10.0.0.0/8", "::1/128")
    assert settings.public_url == "https://stoplist.example.com:8443"
    assert settings.log_level == "debug"
    assert settings.webhook_dispatch is False
    assert settings.retention_days is None
    assert settings.metrics_token is None
    assert settings.database_url == "postgresql+psycopg://u@h/db"
    assert load_settings({"database_url": "here.db"}).database_url == (
        f"sqlite:///{tmp_path.resolve() / 'here.db'}"
    )


def test_connection_counts_default_to_the_documented_sizes(monkeypatch):
    settings = load_settings()
    assert (settings.pool_size, settings.pool_overflow, settings.check_connections) == (8, 32, 2)
    monkeypatch.setenv("STOPLIST_POOL_SIZE", "3")
    monkeypatch.setenv("STOPLIST_POOL_OVERFLOW", "0")
    monkeypatch.setenv("STOPLIST_CHECK_CONNECTIONS", "4")
    settings = load_settings()
    assert (settings.pool_size, settings.pool_overflow, settings.check_connections) == (3, 0, 4)


def test_settings_are_frozen():
    settings = load_settings()
    with pytest.raises(ValidationError):
        settings.port = 1  # type: ignore[misc]


def test_secrets_and_passwords_are_masked(monkeypatch):
    monkeypatch.setenv("STOPLIST_SECRET_KEY", "session-signing-secret")
    monkeypatch.setenv("STOPLIST_METRICS_TOKEN", "metrics-secret")
    settings = load_settings({"database_url": "postgresql://stoplist:hunter2@db:5432/stoplist"})
    shown = {row.variable: row.value for row in describe(settings)}
    assert shown["STOPLIST_SECRET_KEY"] == shown["STOPLIST_METRICS_TOKEN"] == "********"
    assert shown["STOPLIST_DATABASE_URL"] == "postgresql+psycopg://stoplist:***@db:5432/stoplist"
    assert "session-signing-secret" not in repr(settings)
    assert settings.secret_key_value == "session-signing-secret"


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        (
            "postgresql://stoplist@db/stoplist?password=hunter2&sslmode=require",
            "postgresql+psycopg://stoplist@db/stoplist?password=***&sslmode=require",
        ),
        (
            "postgresql://stoplist:x@db/stoplist?sslmode=require&PassWord=hunter2",
            "postgresql+psycopg://stoplist:***@db/stoplist?sslmode=require&PassWord=***",
        ),
        (
            "postgresql://st@ff:hunter2@db/stoplist",
            "postgresql+psycopg://st@ff:***@db/stoplist",
        ),
        (  # libpq reads the name decoded, and so is it read here
            "postgresql://stoplist@db/stoplist?pass%77ord=hunter2",
            "postgresql+psycopg://stoplist@db/stoplist?pass%77ord=***",
        ),
        (
            "postgresql://stoplist@db/stoplist?sslpassword=hunter2&sslmode=require",
            "postgresql+psycopg://stoplist@db/stoplist?sslpassword=***&sslmode=require",
        ),
    ],
)
def test_a_password_is_masked_wherever_the_url_gives_it(given, shown):
    settings = load_settings({"database_url": given})
    assert shown_value("database_url", settings.database_url) == shown


def test_an_unencoded_at_sign_in_the_password_is_refused_with_a_hint(monkeypatch):
    """Taken for the host, the rest of the password would be shown in the error."""
    monkeypatch.setenv("STOPLIST_DATABASE_URL", "postgresql://postgres:p@hunter2@127.0.0.1/db")
    [line] = _refusal()
    assert line == (
        "STOPLIST_DATABASE_URL: the URL holds more than one '@' before its host: "
        "write an '@' of the user name or password as %40: 'postgresql://postgres:***@127.0.0.1/db'"
    )


def test_the_environment_hands_the_same_settings_to_another_process(monkeypatch):
    """What ``serve`` does for its workers: they rebuild exactly its settings."""
    monkeypatch.setenv("STOPLIST_SECRET_KEY", "s3cret")
    monkeypatch.setenv("STOPLIST_TRUSTED_PROXIES", "127.0.0.2,10.0.0.0/8")
    monkeypatch.setenv("STOPLIST_WEBHOOK_DISPATCH", "false")
    original = load_settings(
        {"port": "9123", "workers": "2", "log_level": "warning", "database_url": "x.db"}
    )
    for name in Settings.model_fields:
        monkeypatch.delenv(env_name(name), raising=False)
    assert load_settings() != original
    for variable, value in original.as_environment().items():
        monkeypatch.setenv(variable, value)
    assert load_settings() == original
    assert os.environ["STOPLIST_SECRET_KEY"] == "s3cret"
