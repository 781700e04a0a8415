"""The client installs and works alone: ``stoplist-client`` in a fresh environment.

The test builds the distribution from ``packages/client``, gathers wheels of
its declared dependencies, installs into a new virtual environment with no
index at all (so anything undeclared would fail to install), and uses it
against a running server. Nothing of the server may come along: not its
packages, not its dependencies, not its modules on import.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

import stoplist
from stoplist.client import __version__ as client_version

ROOT = Path(__file__).resolve().parents[2]
CLIENT_PROJECT = ROOT / "packages" / "client"
CONSTRAINTS = ROOT / "requirements" / "constraints.txt"
SERVER_ONLY = {
    "starlette",
    "uvicorn",
    "sqlalchemy",
    "alembic",
    "psycopg",
    "phonenumbers",
    "typer",
    "rich",
    "jinja2",
    "numpy",
    "twilio",
    "orjson",
    "stoplist",
}

# httpx itself imports rich when it happens to be installed.
SERVER_MODULES = SERVER_ONLY - {"rich", "stoplist"}

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

USE_IT = textwrap.dedent(
    """
    import json, sys
    from stoplist.client import Client, InvalidWebhook, verify_webhook

    with Client() as client:  # STOPLIST_BASE_URL and STOPLIST_API_KEY
        assert client.base_url.startswith("http://127.0.0.1:"), client.base_url
        stop_id = client.add("06 12 34 56 78")
        listed = [(s.id, s.phone_number) for s in client.list()]
        checked = client.check("0612345678").stopped
    try:
        verify_webhook(b"{}", {}, "whsec_" + "A" * 32)
    except InvalidWebhook:
        refused = True
    loaded = sorted(name.split(".")[0] for name in sys.modules)
    print(json.dumps({"stopId": stop_id, "listed": listed, "checked": checked,
                      "refused": refused, "modules": sorted(set(loaded)),
                      "server_modules": [m for m in sys.modules
                                         if m.startswith("stoplist.") and
                                         not m.startswith("stoplist.client")]}))
    """
)


def _pip(python: Path | str, *args: str, isolated: bool = False) -> None:
    env = dict(os.environ)
    if isolated:
        env["PIP_CONFIG_FILE"] = os.devnull  # no site-wide find-links or indexes
    subprocess.run(
        [str(python), "-m", "pip", "--disable-pip-version-check", "-q", *args],
        check=True,
        env=env,
        timeout=600,
    )


def test_the_client_distribution_installs_and_works_alone(tmp_path, server, account):
    wheels = tmp_path / "wheels"
    _pip(sys.executable, "wheel", "--no-deps", "-w", str(wheels), str(CLIENT_PROJECT))
    declared = tomllib.loads((CLIENT_PROJECT / "pyproject.toml").read_text())["project"]
    _pip(
        sys.executable,
        "download",
        "-d",
        str(wheels),
        "-c",
        str(CONSTRAINTS),
        *declared["dependencies"],
    )
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    _pip(
        python,
        "install",
        "--no-index",
        "--find-links",
        str(wheels),
        "stoplist-client",
        isolated=True,
    )

    frozen = subprocess.run(
        [str(python), "-m", "pip", "list", "--format=json"],
        capture_output=True,
        text=True,
        check=True,
    )
    installed = {item["name"].lower() for item in json.loads(frozen.stdout)}
    assert "stoplist-client" in installed and "httpx" in installed
    assert not installed & SERVER_ONLY

    used = subprocess.run(
        [str(python), "-c", USE_IT],
        capture_output=True,
        text=True,
        cwd=tmp_path,  # not the repository: only the installed copy can be imported
        env={
            "PATH": os.environ["PATH"],
            "STOPLIST_BASE_URL": f"{server.base_url}/v1",
            "STOPLIST_API_KEY": account.api_key,
        },
        timeout=120,
    )
    assert used.returncode == 0, used.stderr
    result = json.loads(used.stdout)
    assert result["listed"] == [[result["stopId"], "+33612345678"]]
    assert result["checked"] is True and result["refused"] is True
    assert result["server_modules"] == []
    assert not set(result["modules"]) & SERVER_MODULES


def test_both_distributions_carry_one_version(database_url):
    server_project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    client_project = tomllib.loads((CLIENT_PROJECT / "pyproject.toml").read_text())["project"]
    assert stoplist.__version__ == client_version == server_project["version"]
    assert client_project["version"] == server_project["version"]


def test_importing_the_client_loads_nothing_of_the_server(database_url):
    """Even beside the server's code, ``stoplist`` itself stays import-light."""
    probe = "import json, sys, stoplist.client; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    loaded = json.loads(result.stdout)
    ours = [name for name in loaded if name.startswith("stoplist.")]
    assert all(name.startswith("stoplist.client") for name in ours), ours
    assert not {name.split(".")[0] for name in loaded} & SERVER_MODULES
