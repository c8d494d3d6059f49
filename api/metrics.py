"""Prometheus exposition for the API: request latency by route template and status, plus the engine's
metrics (counters from core/payments/metrics.py and the gauges it reads from the database).

With PROMETHEUS_MULTIPROC_DIR set, every uvicorn worker (and a payment worker sharing the folder) writes
its samples there and a scrape adds them up (prometheus-client's multiprocess mode), so the answer is
the same whichever worker serves it.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator
from wsgiref.simple_server import WSGIServer

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Histogram, generate_latest
from prometheus_client.exposition import start_http_server
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError

from paycrypt.core.payments import metrics as engine_metrics
from paycrypt.core.storage.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
http_latency = Histogram(
    "paycrypt_http_request_duration_seconds",
    "HTTP requests served by the API, by method, route template and status",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
UNMATCHED_ROUTE = "unmatched"  # one label for every unknown path, so a scanner cannot explode the series


def multiprocess_dir() -> str | None:
    path = os.environ.get(MULTIPROC_ENV)
    return path if path and os.path.isdir(path) else None


class _Everything(Collector):
    """This process's default registry (HTTP histogram, engine counters, process metrics)."""

    def collect(self) -> Iterator[object]:  # type: ignore[override]
        yield from REGISTRY.collect()


class _DatabaseGauges(Collector):
    """The engine's gauges; a scrape never fails because the database does (readiness says so)."""

    def __init__(self, uow_factory: Callable[[], UnitOfWork]):
        self._inner = engine_metrics.PaymentGauges(uow_factory)

    def collect(self) -> Iterator[object]:  # type: ignore[override]
        try:
            yield from list(self._inner.collect())
        except SQLAlchemyError as err:
            log.warning("metrics: payment gauges unavailable: %s", type(err).__name__)


class MetricsExporter:
    def __init__(self, uow_factory: Callable[[], UnitOfWork]):
        self.registry = CollectorRegistry(auto_describe=False)
        folder = multiprocess_dir()
        if folder is not None:
            MultiProcessCollector(self.registry, path=folder)
        else:
            self.registry.register(_Everything())
        self.registry.register(_DatabaseGauges(uow_factory))

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


def serve_metrics(exporter: MetricsExporter, host: str, port: int) -> tuple[WSGIServer, threading.Thread]:
    """/metrics on its own port (METRICS_PORT), e.g. reachable only from the monitoring network."""
    server, thread = start_http_server(port, addr=host, registry=exporter.registry)
    log.info("metrics served on %s:%d", host, port)
    return server, thread
