"""Log lines never carry a statement's values, whatever the driver puts in its message."""

from __future__ import annotations

import io
import logging

import orjson
import pytest
from sqlalchemy.exc import IntegrityError

from stoplist.domain.accounts import Accounts
from stoplist.observability.context import RequestContext, current
from stoplist.observability.logs import JsonFormatter, PlainFormatter
from stoplist.storage import stops as stop_store
from tests.support import run_cli

NUMBER = "+33698765432"


def _duplicate_stop_error(db, account) -> IntegrityError:
    with db.write() as conn:
        stop_store.insert_stop(conn, account.id, NUMBER, created_at=1, source="api", event_id=None)
    with pytest.raises(IntegrityError) as raised, db.write() as conn:
        stop_store.insert_stop(conn, account.id, NUMBER, created_at=2, source="api", event_id=None)
    return raised.value


def _logged(formatter: logging.Formatter, exc: BaseException) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    logger = logging.getLogger("stoplist.test-logs")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.error("could not add %s", NUMBER, exc_info=exc)
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


def test_a_database_error_is_logged_without_the_values_of_its_statement(db):
    account = Accounts(db).create("logs-privacy").account
    exc = _duplicate_stop_error(db, account)
    assert "parameters hidden" in str(exc)  # the engine keeps them out of SQLAlchemy's text
    if db.is_sqlite:
        assert "698765432" not in str(exc)
    for formatter in (PlainFormatter(), JsonFormatter()):
        text = _logged(formatter, exc)
        assert "IntegrityError" in text
        assert "698765432" not in text  # neither the message's number nor PostgreSQL's DETAIL


def test_without_hiding_postgresql_would_have_quoted_the_number(db):
    """The driver's own message does carry it: what the formatter removes is real."""
    if db.is_sqlite:
        pytest.skip("SQLite's constraint message names columns, not values")
    account = Accounts(db).create("logs-privacy-pg").account
    exc = _duplicate_stop_error(db, account)
    assert "698765432" in str(exc.orig)


def test_json_lines_are_single_objects_with_the_request_fields():
    formatter = JsonFormatter()
    token = current.set(RequestContext("req-1", "POST", {}))
    try:
        record = logging.LogRecord("stoplist.access", logging.INFO, __file__, 1, "hello", (), None)
        record.status = 201
        record.duration_ms = 1.5
        line = formatter.format(record)
    finally:
        current.reset(token)
    assert "\n" not in line
    fields = orjson.loads(line)
    assert fields["request_id"] == "req-1" and fields["method"] == "POST"
    assert fields["status"] == 201 and fields["duration_ms"] == 1.5
    assert {"time", "level", "logger", "message"} <= set(fields)


def test_serve_refuses_an_unknown_log_format_in_one_line(tmp_path):
    result = run_cli(
        "serve",
        "--database",
        str(tmp_path / "never.db"),
        env={"STOPLIST_LOG_FORMAT": "xml"},
        check=False,
    )
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0
    assert "STOPLIST_LOG_FORMAT" in result.stderr
    assert not (tmp_path / "never.db").exists()
