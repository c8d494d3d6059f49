"""Starts a sandbox inside the test process: a real HTTP server on a free port, in a background thread.

    with running_sandbox(ledger_close_seconds=0.1) as sandbox:
        server = Server(sandbox.url)
        sandbox.fund(keypair.public_key)
        sandbox.faults.add(FaultKind.TIMEOUT_AFTER_APPLY)
        sandbox.close_ledger()

Admin routes (/_sandbox/...) are on unless `admin=False`. `ledger_close_seconds=None` closes ledgers
only on demand (`close_ledger()` or POST /_sandbox/close); friendbot then closes one itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from stellar_sdk import Keypair

from paycrypt.core.settings import SANDBOX_PASSPHRASE
from paycrypt.sandbox.faults import FaultKind, FaultPlan
from paycrypt.sandbox.ledger import Ledger, root_keypair
from paycrypt.sandbox.node import NodeConfig, SandboxNode, Settlement
from paycrypt.sandbox.records import LedgerRecord, TransactionRecord
from paycrypt.sandbox.server import bind_free_port, make_server

__all__ = ["FaultKind", "RunningSandbox", "SandboxStartError", "running_sandbox"]

START_TIMEOUT = 10.0


class SandboxStartError(RuntimeError):
    """The in-process sandbox did not come up."""


@dataclass(frozen=True)
class RunningSandbox:
    url: str
    passphrase: str
    node: SandboxNode
    faults: FaultPlan

    @property
    def ledger(self) -> Ledger:
        """The ledger itself, for assertions; hold `node.lock` to read it while ledgers close on a timer."""
        return self.node.ledger

    @property
    def root_keypair(self) -> Keypair:
        """The account holding every lumen at genesis (friendbot pays from it)."""
        return root_keypair(self.passphrase)

    def close_ledger(self) -> LedgerRecord:
        """Closes a ledger now, on the server's event loop, and returns it."""
        future = asyncio.run_coroutine_threadsafe(self.node.close_ledger(), self.node.loop)
        return future.result(timeout=30)

    def fund(self, *addresses: str) -> None:
        """Creates each account with 10,000 XLM through friendbot, all in one ledger."""

        async def fund_all() -> list[Settlement]:
            return await asyncio.gather(*(self.node.fund(address) for address in addresses))

        settlements = asyncio.run_coroutine_threadsafe(fund_all(), self.node.loop).result(timeout=30)
        failed = [s for s in settlements if not isinstance(s, TransactionRecord) or not s.successful]
        if failed:
            raise RuntimeError(f"friendbot could not fund every account: {failed}")

    def balance(self, address: str) -> int | None:
        """The account's native balance in stroops, or None when it does not exist."""
        with self.node.lock:
            account = self.node.ledger.account(address)
            return None if account is None else account.balance


@contextlib.contextmanager
def running_sandbox(
    *,
    ledger_close_seconds: float | None = 0.1,
    submission_timeout: float = 10.0,
    state_path: Path | None = None,
    max_tx_set_size: int = 1000,
    passphrase: str = SANDBOX_PASSPHRASE,
    admin: bool = True,
) -> Iterator[RunningSandbox]:
    config = NodeConfig(
        passphrase=passphrase,
        ledger_close_seconds=ledger_close_seconds,
        submission_timeout=submission_timeout,
        state_path=state_path,
        admin=admin,
        max_tx_set_size=max_tx_set_size,
    )
    node = SandboxNode(config)
    sock = bind_free_port()
    host, port = sock.getsockname()[:2]
    server = make_server(node, host, port)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="sandbox-server", daemon=True
    )
    thread.start()
    try:
        _wait_started(server, thread)
        yield RunningSandbox(
            url=f"http://{host}:{port}", passphrase=passphrase, node=node, faults=node.faults
        )
    finally:
        server.should_exit = True
        thread.join(timeout=START_TIMEOUT)
        sock.close()


def _wait_started(server: object, thread: threading.Thread) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while not getattr(server, "started", False):
        if not thread.is_alive():
            raise SandboxStartError("the sandbox server stopped while starting (see the log above)")
        if time.monotonic() > deadline:
            raise SandboxStartError(f"the sandbox server did not start within {START_TIMEOUT} s")
        time.sleep(0.005)
