"""docs/deploy.md's settings file and ``stoplist-admin`` wrapper, run as written.

stoplist reads only its flags and its environment: a command run by hand
without ``/etc/stoplist/stoplist.env`` opens ``./stoplist.db``. The page's
wrapper is taken from the page, pointed at a settings file here, and run
from an empty directory.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = (ROOT / "docs/deploy.md").read_text()
SETTINGS_FILE = "/etc/stoplist/stoplist.env"
STOPLIST = "/opt/stoplist/venv/bin/stoplist"
TOKEN = 'a token with spaces & $dollar; #hash "quoted"'


def _wrapper(directory: Path, settings: Path, program: str) -> Path:
    """The page's wrapper, reading ``settings`` and running ``program``."""
    found = re.search(r"stoplist-admin >/dev/null <<'END'\n(.*?\n)END\n", DEPLOY, re.S)
    assert found, "docs/deploy.md no longer shows the stoplist-admin wrapper"
    script = found.group(1)
    assert SETTINGS_FILE in script and STOPLIST in script
    path = directory / "stoplist-admin"
    path.write_text(script.replace(SETTINGS_FILE, str(settings)).replace(STOPLIST, program))
    return path


def _run(wrapper: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", str(wrapper), *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def _settings(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A settings file as the page describes it, an empty directory to run in, the database."""
    database = tmp_path / "data" / "stoplist.db"
    database.parent.mkdir()
    settings = tmp_path / "stoplist.env"
    settings.write_text(
        "# stoplist's settings\n"
        f"STOPLIST_DATABASE_URL={database}\n"
        "STOPLIST_PUBLIC_URL=https://stoplist.example.com\n"
        f"STOPLIST_METRICS_TOKEN='{TOKEN}'\n"
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    return settings, elsewhere, database


def test_the_wrapper_gives_a_command_the_services_settings(tmp_path):
    settings, elsewhere, database = _settings(tmp_path)
    stoplist = str(Path(sys.executable).with_name("stoplist"))
    wrapper = _wrapper(tmp_path, settings, stoplist)

    made = _run(wrapper, "accounts", "create", "shop", cwd=elsewhere)
    assert made.returncode == 0, made.stderr
    config = _run(wrapper, "config", cwd=elsewhere)
    assert re.search(rf"STOPLIST_DATABASE_URL=sqlite:///{database}\s+# environment", config.stdout)
    assert database.exists()
    assert list(elsewhere.iterdir()) == []  # no ./stoplist.db

    environment = _run(_wrapper(tmp_path, settings, "/usr/bin/env"), cwd=elsewhere).stdout
    assert f"STOPLIST_METRICS_TOKEN={TOKEN}\n" in environment  # quoted, as systemd reads it


def test_the_wrapper_stops_when_it_cannot_read_the_settings(tmp_path):
    _, elsewhere, _ = _settings(tmp_path)
    stoplist = str(Path(sys.executable).with_name("stoplist"))
    wrapper = _wrapper(tmp_path, tmp_path / "missing.env", stoplist)

    result = _run(wrapper, "accounts", "list", cwd=elsewhere)
    assert result.returncode != 0
    assert list(elsewhere.iterdir()) == []


def test_the_backup_directory_is_made_before_the_nightly_job_writes_in_it():
    made = DEPLOY.index("sudo install -d -o stoplist -g stoplist -m 0700 /var/backups/stoplist")
    job = re.search(r"^15 2 \* \* \* stoplist (\S+) backup /var/backups/stoplist ", DEPLOY, re.M)
    assert job and made < job.start()
    assert job.group(1) == "/usr/local/bin/stoplist-admin"  # with the service's settings
