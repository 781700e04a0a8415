"""``stoplist config``: every setting, its value (secrets masked) and where it came from."""

from __future__ import annotations

import json

from tests.support import run_cli, run_cli_here

SECRETS = {
    "STOPLIST_SECRET_KEY": "dashboard-signing-secret",
    "STOPLIST_METRICS_TOKEN": "metrics-bearer-secret",
    "STOPLIST_DATABASE_URL": "postgresql://stoplist:hunter2@127.0.0.1:5432/stoplist",
}


def test_config_shows_values_and_sources_with_secrets_masked():
    result = run_cli("config", "--port", "9000", env={**SECRETS, "STOPLIST_WORKERS": "4"})
    rows = {}
    for line in result.stdout.splitlines():
        setting, _, source = line.partition("  # ")
        variable, _, value = setting.strip().partition("=")
        rows[variable] = (value, source)
    assert rows["STOPLIST_PORT"] == ("9000", "flag")
    assert rows["STOPLIST_WORKERS"] == ("4", "environment")
    assert rows["STOPLIST_HOST"] == ("127.0.0.1", "default")
    assert rows["STOPLIST_SECRET_KEY"] == ("********", "environment")
    assert rows["STOPLIST_METRICS_TOKEN"] == ("********", "environment")
    assert rows["STOPLIST_DATABASE_URL"][0] == (
        "postgresql+psycopg://stoplist:***@127.0.0.1:5432/stoplist"
    )
    assert {"STOPLIST_PUBLIC_URL", "STOPLIST_TRUSTED_PROXIES", "STOPLIST_LOG_FORMAT"} <= set(rows)
    for secret in ("dashboard-signing-secret", "metrics-bearer-secret", "hunter2"):
        assert secret not in result.stdout + result.stderr


def test_config_json():
    result = run_cli("config", "--json", "--log-level", "DEBUG", env=SECRETS)
    rows = {row["variable"]: row for row in json.loads(result.stdout)}
    assert rows["STOPLIST_LOG_LEVEL"] == {
        "name": "log_level",
        "variable": "STOPLIST_LOG_LEVEL",
        "value": "debug",
        "source": "flag",
        "effective": "debug",
    }
    assert rows["STOPLIST_SECRET_KEY"]["value"] == "********"
    assert "hunter2" not in result.stdout


def test_config_reports_invalid_values_as_serve_does():
    result = run_cli(
        "config",
        env={"STOPLIST_PUBLIC_URL": "stoplist.example.com", "STOPLIST_PORT": "8o80"},
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: STOPLIST_PORT: not a port number: '8o80'",
        "error: STOPLIST_PUBLIC_URL: not an http:// or https:// URL: 'stoplist.example.com'",
    ]


def test_config_json_masks_a_password_given_in_the_query():
    url = "postgresql://stoplist@127.0.0.1/stoplist?sslmode=require&password=hunter2"
    result = run_cli_here("config", "--json", env={"STOPLIST_DATABASE_URL": url})
    rows = {row["variable"]: row for row in json.loads(result.stdout)}
    assert rows["STOPLIST_DATABASE_URL"]["value"] == (
        "postgresql+psycopg://stoplist@127.0.0.1/stoplist?sslmode=require&password=***"
    )
    assert "hunter2" not in result.stdout + result.stderr


def test_paths_left_to_their_default_show_where_serve_keeps_them(tmp_path, monkeypatch):
    monkeypatch.delenv("STOPLIST_SECRETS_KEY_FILE", raising=False)
    database = tmp_path / "stoplist.db"
    shown = run_cli("config", "--database", str(database)).stdout  # the key file's default too
    assert f"STOPLIST_LIST_CACHE_DIR= # default: {database}-lists" in " ".join(shown.split())
    assert f"# default: {database}-inbound-spool" in shown
    assert f"# default: {database}-secrets.key" in shown
    rows = json.loads(run_cli_here("config", "--database", str(database), "--json").stdout)
    effective = {row["variable"]: row["effective"] for row in rows}
    assert effective["STOPLIST_INBOUND_SPOOL_DIR"] == f"{database}-inbound-spool"
    assert effective["STOPLIST_PORT"] == "8080"
