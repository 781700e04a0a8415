"""Log lines, as plain text or as one JSON object per line (``STOPLIST_LOG_FORMAT=json``).

Both formats take every line (access lines, the application's, the
server's) through the same masking: the message and any traceback are
scrubbed of keys, tokens and phone numbers, and database exceptions show
only their driver's first line, never a statement's parameters.
"""

from __future__ import annotations

import logging
import traceback
from datetime import UTC, datetime
from typing import Any

import orjson

from stoplist.observability import context, metrics
from stoplist.observability.database_errors import (
    DATABASE_ERRORS,
    advise_once,
    describe,
    error_kind,
    failure_kind,
)
from stoplist.observability.redaction import scrub

_ACCESS_FIELDS = ("method", "route", "status", "duration_ms")


def log_config(level: str, fmt: str = "text") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for the server: our loggers and uvicorn's, on stderr."""
    formatter = JsonFormatter if fmt == "json" else PlainFormatter
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "stoplist",
        "stream": "ext://sys.stderr",
    }
    logger = {"handlers": ["stderr"], "level": level.upper(), "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"stoplist": {"()": f"{__name__}.{formatter.__name__}"}},
        "handlers": {"stderr": handler},
        "loggers": {"uvicorn": logger, "stoplist": dict(logger)},
    }


def log_failure(logger: logging.Logger, message: str, exc: BaseException) -> None:
    """Log a background task's failure: one line when the database is away, else a traceback.

    A dispatcher polling a stopped database every second would otherwise
    fill the log with the same traceback.
    """
    if isinstance(exc, DATABASE_ERRORS):
        metrics.database_error(error_kind(exc))
        if failure_kind(exc) is not None:
            logger.warning("%s (database unavailable: %s)", message, describe(exc))
            advise_once(exc)
            return
    logger.error(message, exc_info=exc)


def safe_traceback(exc: BaseException) -> str:
    """A traceback of ``exc`` and its causes whose exception lines are masked.

    Frames show code, never values; the lines saying what each exception was
    are where drivers quote data, so those are rewritten.
    """
    chain: list[BaseException] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append(current)
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    parts: list[str] = []
    for index, item in enumerate(reversed(chain)):
        if index:
            parts.append("\nThe above exception led to the following one:\n\n")
        parts.append("Traceback (most recent call last):\n")
        parts.extend(traceback.format_tb(item.__traceback__))
        parts.append(f"{_exception_line(item)}\n")
    return scrub("".join(parts).rstrip("\n"))


def _exception_line(exc: BaseException) -> str:
    if isinstance(exc, DATABASE_ERRORS):
        return f"{type(exc).__module__}.{type(exc).__qualname__} ({describe(exc)})"
    text = str(exc)
    name = type(exc).__qualname__
    return f"{name}: {text}" if text else name


class _Formatter(logging.Formatter):
    def parts(self, record: logging.LogRecord) -> tuple[str, str | None]:
        """The record's message and exception text, both masked.

        Access lines are built from parts already redacted (``redacted`` on
        the record), so the busiest line skips the second pass.
        """
        message = record.getMessage()
        if not getattr(record, "redacted", False):
            message = scrub(message)
        error = None
        if record.exc_info and record.exc_info[1] is not None:
            error = safe_traceback(record.exc_info[1])
        elif record.stack_info:
            error = scrub(record.stack_info)
        return message, error


class PlainFormatter(_Formatter):
    """``2026-11-27 09:30:00,123 INFO stoplist.access [request id]: message``."""

    def format(self, record: logging.LogRecord) -> str:
        message, error = self.parts(record)
        request = context.current.get()
        where = f" [{request.request_id}]" if request else ""
        line = f"{self.formatTime(record)} {record.levelname} {record.name}{where}: {message}"
        return f"{line}\n{error}" if error else line


class JsonFormatter(_Formatter):
    """One JSON object per line: time, level, logger, message, request and access fields."""

    def format(self, record: logging.LogRecord) -> str:
        message, error = self.parts(record)
        request = context.current.get()
        moment = datetime.fromtimestamp(record.created, UTC)
        line: dict[str, Any] = {
            "time": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": message,
            "request_id": request.request_id if request else None,
        }
        if request:
            line["method"] = request.method
            line["route"] = request.route_template()
        for name in _ACCESS_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if error:
            line["exception"] = error
        return orjson.dumps(line).decode()
