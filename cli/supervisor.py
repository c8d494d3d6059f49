"""Runs the stack's processes side by side: starts them, forwards Ctrl-C, stops all when one dies."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from urllib.parse import urlparse

from paycrypt.core.settings import Settings, StellarNetwork


@dataclass(frozen=True)
class Service:
    name: str
    argv: tuple[str, ...]
    url: str | None = None


def _paycrypt(*args: str) -> tuple[str, ...]:
    return (sys.executable, "-m", "paycrypt.cli", *args)


def stack_services(settings: Settings) -> list[Service]:
    """The processes `make run` starts for these settings, in start order."""
    services: list[Service] = []
    horizon = urlparse(settings.horizon_url)
    if settings.stellar_network is StellarNetwork.SANDBOX and horizon.hostname in {"127.0.0.1", "localhost"}:
        port = str(horizon.port or 8000)
        services.append(
            Service(
                "sandbox",
                _paycrypt("sandbox", "--port", port, "--state", str(settings.var_dir / "sandbox-state.json")),
                url=settings.horizon_url,
            )
        )
    services.append(Service("worker", _paycrypt("worker")))
    api = settings.api
    services.append(
        Service("api", _paycrypt("api", "--port", str(api.port)), url=f"http://{api.host}:{api.port}")
    )
    return services


class Supervisor:
    def __init__(self, services: list[Service], echo: Callable[[str], None], grace_seconds: float = 10.0):
        self._services = services
        self._echo = echo
        self._grace = grace_seconds
        self._procs: dict[str, subprocess.Popen[bytes]] = {}
        self._stopping = False

    def run(self) -> int:
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            for service in self._services:
                self._procs[service.name] = subprocess.Popen(service.argv)  # noqa: S603 (argv built by stack_services)
                where = f" at {service.url}" if service.url else ""
                self._echo(f"started {service.name}{where} (pid {self._procs[service.name].pid})")
            self._echo("the stack is running; press Ctrl-C to stop it")
            return self._watch()
        finally:
            self._stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _watch(self) -> int:
        while not self._stopping:
            for name, proc in self._procs.items():
                code = proc.poll()
                if code is not None:
                    self._echo(f"{name} exited with code {code}; stopping the stack")
                    return code or 1
            time.sleep(0.5)
        return 0

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self._stopping = True

    def _stop_all(self) -> None:
        for proc in self._procs.values():
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + self._grace
        for name, proc in self._procs.items():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            self._echo(f"stopped {name}")
