"""``stoplist serve``: run the HTTP service."""

from __future__ import annotations

import errno
import os
import socket
import traceback
from typing import Annotated, Any

import typer
import uvicorn

from stoplist.cli.language import _
from stoplist.cli.options import (
    DatabaseOption,
    HostOption,
    PortOption,
    fail,
    open_configured,
    settings_from,
)
from stoplist.domain.accounts import Accounts
from stoplist.domain.inbound_spool import check_spool
from stoplist.observability import logs, metrics
from stoplist.settings import Settings
from stoplist.storage.database import Database

DEMO_ACCOUNT = "demo"
WORKER_HEALTHCHECK_SECONDS = 30
"""How long a worker may take to answer its supervisor: on a busy machine a worker still
starting can take longer than uvicorn's 5 s, and would be killed and started again in a loop."""

WorkersOption = Annotated[
    str | None,
    typer.Option(help="Worker processes on the same port [env: STOPLIST_WORKERS; default: 1]."),
]
LogLevelOption = Annotated[
    str | None,
    typer.Option(
        help="debug, info, warning or error [env: STOPLIST_LOG_LEVEL; default: info]; "
        "debug also prints tracebacks of start-up errors."
    ),
]
LogFormatOption = Annotated[
    str | None,
    typer.Option(help="text or json [env: STOPLIST_LOG_FORMAT; default: text]."),
]


def serve_flags(
    host: str | None,
    port: str | None,
    workers: str | None,
    log_level: str | None,
    log_format: str | None,
    database: str | None,
) -> dict[str, Any]:
    """The settings ``serve``'s flags give (None: not given)."""
    return {
        "host": host,
        "port": port,
        "workers": workers,
        "log_level": log_level,
        "log_format": log_format,
        "database_url": database,
    }


def serve(
    host: HostOption = None,
    port: PortOption = None,
    database: DatabaseOption = None,
    workers: WorkersOption = None,
    demo: Annotated[
        bool, typer.Option("--demo", help="Create a 'demo' account if there is no account yet.")
    ] = False,
    log_level: LogLevelOption = None,
    log_format: LogFormatOption = None,
) -> None:
    """Serve the stop-sms API (and the inbound webhooks and dashboard)."""
    settings = settings_from(**serve_flags(host, port, workers, log_level, log_format, database))
    db = open_configured(settings, create=True)
    if demo:
        _ensure_demo_account(Accounts(db))
    _check_spool(db, settings)
    db.dispose()
    check_port(settings)
    # The worker processes import the application afresh: they read these.
    os.environ.update(settings.as_environment())
    cleanup = metrics.prepare_multiprocess_dir()
    try:
        uvicorn.run(
            "stoplist.app:create_app",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=settings.workers,
            access_log=False,
            log_config=logs.log_config(settings.log_level, settings.log_format),
            server_header=False,
            proxy_headers=False,
            http="stoplist.http.bounded_head:BoundedHeadProtocol",
            timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
        )
    finally:
        cleanup()


def _check_spool(db: Database, settings: Settings) -> None:
    """Fail with one line when the inbound spool's directory cannot take a record."""
    try:
        check_spool(db, settings.inbound_spool_dir)
    except OSError as exc:
        db.dispose()
        fail(
            _(
                "cannot use the inbound spool directory %(path)s: %(cause)s; "
                "fix it, or set STOPLIST_INBOUND_SPOOL_DIR",
                path=exc.filename or settings.inbound_spool_dir,
                cause=exc.strerror or exc,
            )
        )


def check_port(settings: Settings) -> None:
    """Fail with one line when the address cannot be listened on (uvicorn would log a trace)."""
    host, port = settings.host, settings.port
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if settings.log_level == "debug":
                traceback.print_exception(exc)
            fail(
                _(
                    "cannot listen on %(host)s port %(port)s: %(cause)s",
                    host=host,
                    port=port,
                    cause=_bind_cause(exc),
                )
            )


def _bind_cause(error: OSError) -> str:
    if error.errno == errno.EADDRINUSE:
        return _("the port is already in use (another stoplist?); choose another --port")
    if error.errno == errno.EACCES:
        return _("permission denied (ports below 1024 need privileges)")
    if error.errno == errno.EADDRNOTAVAIL:
        return _("that is not an address of this machine (check --host)")
    if isinstance(error, socket.gaierror):
        return _("the host name cannot be resolved (check --host)")
    return error.strerror or str(error)


def _ensure_demo_account(accounts: Accounts) -> None:
    if accounts.list():
        typer.echo(
            _("Accounts already exist; make a key with: stoplist keys create NAME"), err=True
        )
        return
    created = accounts.create(DEMO_ACCOUNT)
    typer.echo(
        _(
            "Created account '%(account)s'. Its API key (shown once): %(api_key)s",
            account=DEMO_ACCOUNT,
            api_key=created.api_key,
        )
    )
