"""Prometheus metrics, shared by every worker process of one ``stoplist serve``.

``serve`` points ``PROMETHEUS_MULTIPROC_DIR`` at a private directory before
any worker starts (see ``prepare_multiprocess_dir``); each worker then
writes its counts to files there and a scrape of any worker adds them all
up, as ``prometheus_client`` documents. The client library is imported on
first use, after that variable is set, because it picks its storage when it
is imported.

Labels are bounded: route templates, methods, statuses, providers,
verdicts, sources and outcomes. No number, key, token or account is ever a
label.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ParamSpec

logger = logging.getLogger("stoplist.metrics")

MULTIPROC_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_METHODS = {"GET", "POST", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"}
_DELIVERY_OUTCOMES = {"delivered": "delivered", "pending": "retry", "failed": "failed"}
P = ParamSpec("P")


class _Metrics:
    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram

        self.multiprocess = bool(os.environ.get(MULTIPROC_DIR_ENV))
        # In multiprocess mode a scrape reads the files, not a registry.
        self.registry = None if self.multiprocess else CollectorRegistry()
        registry = self.registry
        self.requests = Counter(
            "stoplist_http_requests",
            "HTTP requests answered, by route template, method and status.",
            ["route", "method", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "stoplist_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template and method.",
            ["route", "method"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.inbound = Counter(
            "stoplist_inbound_messages",
            "Messages received from SMS providers, by provider and verdict.",
            ["provider", "verdict"],
            registry=registry,
        )
        self.opt_outs = Counter(
            "stoplist_opt_outs",
            "Numbers put on a stop list, by source.",
            ["source"],
            registry=registry,
        )
        self.opt_ins = Counter(
            "stoplist_opt_ins",
            "Numbers taken off a stop list, by source.",
            ["source"],
            registry=registry,
        )
        self.erasures = Counter(
            "stoplist_erasures",
            "Numbers erased at their owner's request (kept as a keyed hash, still stopped).",
            ["source"],
            registry=registry,
        )
        self.deliveries = Counter(
            "stoplist_webhook_deliveries",
            "Outgoing webhook attempts, by outcome (delivered, retry, failed).",
            ["outcome"],
            registry=registry,
        )
        self.confirmation_sends = Counter(
            "stoplist_confirmation_sends",
            "Confirmation sends through SMS Partner, by outcome (delivered, retry, failed).",
            ["outcome"],
            registry=registry,
        )
        self.database_errors = Counter(
            "stoplist_database_errors",
            "Database errors that reached a request or a background task, by kind.",
            ["kind"],
            registry=registry,
        )


_metrics: _Metrics | None = None
_lock = threading.Lock()


def _get() -> _Metrics:
    global _metrics
    if _metrics is None:
        with _lock:
            if _metrics is None:
                _metrics = _Metrics()
    return _metrics


def _never_fails(record: Callable[P, None]) -> Callable[P, None]:
    """A count that cannot be written must not fail the request that made it."""

    def safely(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            record(*args, **kwargs)
        except Exception:
            logger.debug("could not record a metric", exc_info=True)

    safely.__doc__ = record.__doc__
    return safely


_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}


@_never_fails
def http_request(route: str, method: str, status: int, seconds: float) -> None:
    # Every request comes here: the labelled children are looked up once.
    method = method if method in _METHODS else "other"
    children = _children.get((route, method, status))
    if children is None:
        metrics = _get()
        children = _children[(route, method, status)] = (
            metrics.requests.labels(route, method, str(status)),
            metrics.latency.labels(route, method),
        )
    children[0].inc()
    children[1].observe(seconds)


@_never_fails
def inbound_message(provider: str, verdict: str) -> None:
    """``verdict``: opt_out, opt_in, help, reply, review, duplicate, pending, spooled or
    rejected."""
    _get().inbound.labels(provider, verdict).inc()


@_never_fails
def stop_changed(stopped: bool, source: str, count: int = 1) -> None:
    """``count`` numbers went on (``stopped``) or off a list by ``source``; call after commit."""
    if count <= 0:
        return
    metrics = _get()
    counter = metrics.opt_outs if stopped else metrics.opt_ins
    counter.labels(str(source)).inc(count)


@_never_fails
def number_erased(source: str) -> None:
    """A number was erased (``domain.erasure``); call after commit."""
    _get().erasures.labels(str(source)).inc()


@_never_fails
def webhook_delivery(status: str) -> None:
    """A delivery attempt ended and left its delivery ``status`` (delivered, pending, failed)."""
    _get().deliveries.labels(_DELIVERY_OUTCOMES.get(status, "other")).inc()


@_never_fails
def confirmation_send(status: str) -> None:
    """A send to SMS Partner ended and left its confirmation ``status`` (as ``webhook_delivery``).

    ``retry``: the attempt failed and another will come; ``failed``: given up.
    """
    _get().confirmation_sends.labels(_DELIVERY_OUTCOMES.get(status, "other")).inc()


@_never_fails
def database_error(kind: str) -> None:
    _get().database_errors.labels(kind).inc()


@dataclass(frozen=True, slots=True)
class Gauge:
    """A value computed at scrape time (from the database, say)."""

    name: str
    documentation: str
    value: float


def exposition(gauges: Iterable[Gauge] = ()) -> tuple[bytes, str]:
    """The text a scrape gets, and its content type: every worker's counts plus ``gauges``."""
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
    from prometheus_client.core import GaugeMetricFamily

    metrics = _get()
    families = [GaugeMetricFamily(g.name, g.documentation, value=g.value) for g in gauges]

    class _Scrape:
        def collect(self) -> Iterator[Any]:
            if metrics.multiprocess:
                from prometheus_client import multiprocess

                yield from multiprocess.MultiProcessCollector(None).collect()
            else:
                assert metrics.registry is not None
                yield from metrics.registry.collect()
            yield from families

    registry = CollectorRegistry()
    registry.register(_Scrape())
    return generate_latest(registry), CONTENT_TYPE_LATEST


def prepare_multiprocess_dir() -> Callable[[], None]:
    """Give this server's workers a metrics directory; returns what to do on exit.

    When ``PROMETHEUS_MULTIPROC_DIR`` is not set, a private temporary
    directory is made (and removed on exit), in memory (``/dev/shm``) where
    the machine has it: the workers write their counts through memory-mapped
    files, and a write to a mapped file on a full disk kills the process, so
    they must not share the disk the database may fill. When it is set, the
    directory is created if missing and emptied of a previous run's files,
    which would otherwise be added to this run's counts.
    """
    given = os.environ.get(MULTIPROC_DIR_ENV)
    if not given:
        memory = Path("/dev/shm")
        where = str(memory) if memory.is_dir() and os.access(memory, os.W_OK) else None
        made = tempfile.mkdtemp(prefix="stoplist-metrics-", dir=where)
        os.environ[MULTIPROC_DIR_ENV] = made
        return lambda: shutil.rmtree(made, ignore_errors=True)
    directory = Path(given)
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink(missing_ok=True)
    return lambda: None


def worker_started() -> None:
    """Forget live-gauge files left by an earlier process that had this one's pid."""
    if os.environ.get(MULTIPROC_DIR_ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(os.getpid())
