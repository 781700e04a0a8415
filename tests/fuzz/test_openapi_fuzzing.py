"""Schemathesis against the live server's ``/openapi.json``: no server error, and the truth.

Every operation gets a bounded number of generated requests, valid and
invalid, with a valid API key pinned (for each of the three ways to send
one), and every check Schemathesis has: no 5xx, status codes, content
types, headers and bodies as documented, schema-valid requests accepted,
schema-violating ones refused, authentication enforced. A fixed seed keeps
CI reproducible. ``STOPLIST_FUZZ_EXAMPLES`` sets the number of generated
requests per operation and phase (default 5, enough for every operation's
documented shapes in a few minutes of CI); ``STOPLIST_FUZZ_EXAMPLES=100`` is
a deeper run, before a release or after changing the API, and
``STOPLIST_FUZZ_SEED`` another seed, to look beyond the cases CI always
tries. The server runs with outgoing webhooks off: fuzzed endpoint URLs
must never be called.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from stoplist.domain.accounts import Accounts
from tests.support import Server

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
EXAMPLES_PER_OPERATION = os.environ.get("STOPLIST_FUZZ_EXAMPLES", "5")
SEED = os.environ.get("STOPLIST_FUZZ_SEED", "1")


def test_openapi_document_holds_against_the_server(own_db, tmp_path):
    key = Accounts(own_db).create("fuzz").api_key
    env = {"STOPLIST_WEBHOOK_DISPATCH": "0"}
    server = Server(own_db.url, tmp_path / "server.log", env=env).start()
    try:
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "schemathesis.cli",
                "--config-file",
                str(HERE / "schemathesis.toml"),
                "run",
                f"{server.base_url}/openapi.json",
                "--checks",
                "all",
                "--max-examples",
                EXAMPLES_PER_OPERATION,
                "--seed",
                SEED,
                "--workers",
                "1",  # concurrent schema compilation trips a CPython 3.11 bug
                "--report-dir",
                str(tmp_path / "report"),
            ],
            capture_output=True,
            text=True,
            cwd=tmp_path,  # Schemathesis keeps a cache in its working directory
            env={
                **os.environ,
                "STOPLIST_FUZZ_KEY": key,
                "SCHEMATHESIS_HOOKS": "tests.fuzz.hooks",
                "PYTHONPATH": str(ROOT),
                "NO_COLOR": "1",
            },
            timeout=600,
        )
    finally:
        server.stop()
    assert run.returncode == 0, run.stdout[-20_000:] + run.stderr[-5000:]
    assert "Traceback" not in server.log_path.read_text()
