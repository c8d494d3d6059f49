"""Runs the sandbox's HTTP API under uvicorn: in the foreground for the CLI, or given a bound socket."""

from __future__ import annotations

import logging
import socket

import uvicorn

from paycrypt.sandbox.http_app import build_app
from paycrypt.sandbox.node import NodeConfig, SandboxNode

log = logging.getLogger(__name__)


def make_server(
    node: SandboxNode, host: str = "127.0.0.1", port: int = 8000, log_level: str = "warning"
) -> uvicorn.Server:
    config = uvicorn.Config(
        build_app(node),
        host=host,
        port=port,
        lifespan="on",
        log_level=log_level,
        access_log=False,
        timeout_graceful_shutdown=2,
        # Waiting submissions are held on the event loop, not in threads: many can wait at once.
        limit_concurrency=None,
        backlog=4096,
    )
    return uvicorn.Server(config)


def serve(config: NodeConfig, host: str, port: int, log_level: str = "info") -> None:
    """Runs until Ctrl-C or SIGTERM; the ledger is saved on the way out when a state file is set."""
    node = SandboxNode(config)
    server = make_server(node, host, port, log_level=log_level)
    server.run()


def bind_free_port(host: str = "127.0.0.1") -> socket.socket:
    """A listening-ready socket on a port the OS picked, so the URL is known before the server starts."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    return sock
