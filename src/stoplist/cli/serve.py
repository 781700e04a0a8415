"""``stoplist serve``: run the HTTP service."""

from __future__ import annotations

import os
from typing import Annotated, Any

import typer
import uvicorn

from stoplist.cli.options import DatabaseOption, open_database
from stoplist.config import DATABASE_URL_ENV
from stoplist.domain.accounts import Accounts

DEMO_ACCOUNT = "demo"


def log_config(level: str) -> dict[str, Any]:
    """Plain lines on stderr; the server's own access log stays off (see access_log)."""
    handler = {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
        "handlers": {"stderr": handler},
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": level.upper(), "propagate": False},
            "stoplist": {"handlers": ["stderr"], "level": level.upper(), "propagate": False},
        },
    }


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
    db = open_database(database)
    if demo:
        _ensure_demo_account(Accounts(db))
    os.environ[DATABASE_URL_ENV] = db.url
    db.dispose()
    uvicorn.run(
        "stoplist.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        log_config=log_config(log_level),
        server_header=False,
        proxy_headers=False,
    )


def _ensure_demo_account(accounts: Accounts) -> None:
    if accounts.list():
        typer.echo("Accounts already exist; make a key with: stoplist keys create NAME", err=True)
        return
    created = accounts.create(DEMO_ACCOUNT)
    typer.echo(f"Created account '{DEMO_ACCOUNT}'. Its API key (shown once): {created.api_key}")
