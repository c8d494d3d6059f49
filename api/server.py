"""Serving the API with uvicorn: the factory each worker process calls, and `run_api` for the CLI."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from paycrypt.api.app import create_app
from paycrypt.api.context import install_request_id_logging
from paycrypt.api.metrics import MULTIPROC_ENV, MetricsExporter, serve_metrics
from paycrypt.core.bootstrap import Container, configure_logging
from paycrypt.core.settings import get_settings

log = logging.getLogger(__name__)

APP_FACTORY = "paycrypt.api.server:app_factory"
# The C parser (httptools, a dependency; with Nagle's algorithm off, below) and the standard asyncio loop:
# uvloop would give a few per cent more requests per second, but under overload it lets some connections
# wait for seconds.
HTTP_IMPLEMENTATION = "paycrypt.api.server:NoDelayHttpToolsProtocol"
EVENT_LOOP = "asyncio"
# The garbage collector's youngest generation is collected after this many new objects (Python's default:
# 700). A request makes a few hundred, so by default nearly every request paid for a collection, and the
# older generations' occasional sweeps over everything loaded stalled every connection at once.
YOUNG_GENERATION_THRESHOLD = 50_000


class NoDelayHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, with Nagle's algorithm off on every connection.

    asyncio turns Nagle off by itself only on sockets it made. With several workers uvicorn makes the
    listening socket (without naming TCP as its protocol, so asyncio does not recognise it), and then an
    answer written in two parts waited for the client's delayed acknowledgement: 40 ms on Linux, which
    capped two workers at 100 connections to about 2,200 requests per second whatever the endpoint."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        no_delay(transport.get_extra_info("socket"))
        super().connection_made(transport)


def no_delay(sock: socket.socket | None) -> None:
    """Sends small writes at once on a TCP socket (nothing to do on a Unix socket)."""
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def app_factory() -> FastAPI:
    """What each uvicorn worker runs: settings from the environment, logs with request ids."""
    settings = get_settings()
    configure_logging(settings)
    install_request_id_logging()
    app = create_app(settings)
    settle_the_heap()
    return app


def settle_the_heap() -> None:
    """Tunes the garbage collector of a serving process, once its start-up objects exist.

    Modules, the app and its models live as long as the process: gc.freeze() takes them out of every
    collection, so a collection walks only what requests made; and collections run less often
    (YOUNG_GENERATION_THRESHOLD). Reference counting still frees almost everything at once; only cycles
    wait a little longer. `python -m bench api` shows the effect on p99 latency."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, middle, old)


@dataclass(frozen=True)
class ServerOptions:
    host: str
    port: int
    workers: int = 1
    ssl_certfile: str | None = None
    ssl_keyfile: str | None = None


def prepare_multiprocess_metrics(var_dir: Path, workers: int) -> str | None:
    """With several workers, every one must write its samples where a scrape adds them up.

    PROMETHEUS_MULTIPROC_DIR given by the operator is used as it is (empty it before a start, as
    prometheus-client requires); otherwise a fresh folder under var/ is made for this run."""
    given = os.environ.get(MULTIPROC_ENV)
    if given:
        Path(given).mkdir(parents=True, exist_ok=True)
        return given
    if workers <= 1:
        return None
    var_dir.mkdir(parents=True, exist_ok=True)
    folder = tempfile.mkdtemp(prefix="prometheus-api-", dir=var_dir)
    os.environ[MULTIPROC_ENV] = folder  # inherited by the workers uvicorn starts
    return folder


def run_api(options: ServerOptions, container: Container) -> None:
    settings = container.settings
    if options.workers > 1 and settings.redis_url is None:
        log.warning(
            "%d workers without REDIS_URL: each worker counts rate limits on its own", options.workers
        )
    metrics_server = None
    if settings.api.metrics_port is not None:
        metrics_server, _ = serve_metrics(
            MetricsExporter(container.uow_factory), options.host, settings.api.metrics_port
        )
    try:
        uvicorn.run(
            APP_FACTORY,
            factory=True,
            host=options.host,
            port=options.port,
            workers=options.workers,
            ssl_certfile=options.ssl_certfile,
            ssl_keyfile=options.ssl_keyfile,
            # Forwarded headers are handled inside the app (API_TRUSTED_PROXIES), the same under any server.
            proxy_headers=False,
            server_header=False,
            http=HTTP_IMPLEMENTATION,
            loop=EVENT_LOOP,
            access_log=False,  # the app logs each request itself, with its request id
            log_config=None,  # keep the logging configured by PayCrypt (secrets masked)
        )
    finally:
        if metrics_server is not None:
            metrics_server.shutdown()
