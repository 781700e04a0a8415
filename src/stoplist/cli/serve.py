"""``stoplist serve``: run the HTTP service."""

from __future__ import annotations

import os
from typing import Annotated

import typer
import uvicorn

from stoplist.cli.options import DatabaseOption, fail, open_database
from stoplist.config import DATABASE_URL_ENV
from stoplist.domain.accounts import Accounts
from stoplist.observability import logs, metrics

DEMO_ACCOUNT = "demo"
WORKER_HEALTHCHECK_SECONDS = 30
"""How long a worker may take to answer its supervisor: on a busy machine a worker still
starting can take longer than uvicorn's 5 s, and would be killed and started again in a loop."""


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8080,
    database: DatabaseOption = None,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes on the same port.")] = 1,
    demo: Annotated[
        bool, typer.Option("--demo", help="Create a 'demo' account if there is no account yet.")
    ] = False,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "info",
) -> None:
    """Serve the stop-sms API (and the inbound webhooks and dashboard)."""
    try:
        log_format = logs.log_format()
    except ValueError as exc:
        fail(str(exc))
    db = open_database(database)
    if demo:
        _ensure_demo_account(Accounts(db))
    os.environ[DATABASE_URL_ENV] = db.url
    db.dispose()
    cleanup = metrics.prepare_multiprocess_dir()
    try:
        uvicorn.run(
            "stoplist.api.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            access_log=False,
            log_config=logs.log_config(log_level, log_format),
            server_header=False,
            proxy_headers=False,
            timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
        )
    finally:
        cleanup()


def _ensure_demo_account(accounts: Accounts) -> None:
    if accounts.list():
        typer.echo("Accounts already exist; make a key with: stoplist keys create NAME", err=True)
        return
    created = accounts.create(DEMO_ACCOUNT)
    typer.echo(f"Created account '{DEMO_ACCOUNT}'. Its API key (shown once): {created.api_key}")
