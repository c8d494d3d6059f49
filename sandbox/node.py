"""The running sandbox: a Ledger closed on a timer, with submissions that wait for their ledger.

Everything here runs on the HTTP server's event loop. Ledger calls are short and hold `lock` (the
in-process test API reads the ledger from another thread); nothing waits while holding it. A synchronous
submission waits on a future settled when its ledger closes, so thousands can wait without a thread each.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Final, TypeVar

from stellar_sdk import StrKey

from paycrypt.core.settings import SANDBOX_PASSPHRASE
from paycrypt.sandbox.envelopes import MalformedEnvelope, decode_envelope
from paycrypt.sandbox.faults import FaultPlan
from paycrypt.sandbox.friendbot import Friendbot
from paycrypt.sandbox.ledger import MAX_TX_SET_SIZE, Admission, AdmissionStatus, Ledger
from paycrypt.sandbox.records import LedgerRecord, TransactionRecord
from paycrypt.sandbox.results import TransactionOutcome
from paycrypt.sandbox.state_file import load_ledger, snapshot, write_atomically

log = logging.getLogger(__name__)

IDLE_SAVE_SECONDS: Final = 60.0


@dataclass(frozen=True, slots=True)
class NodeConfig:
    passphrase: str = SANDBOX_PASSPHRASE
    ledger_close_seconds: float | None = 5.0  # None: ledgers close only on demand
    submission_timeout: float = 30.0
    state_path: Path | None = None
    admin: bool = False
    max_tx_set_size: int = MAX_TX_SET_SIZE


class SubmissionKind(StrEnum):
    APPLIED = "applied"  # in a ledger (successful or failed): see the record
    REJECTED = "rejected"  # refused before any ledger: see the outcome
    MALFORMED = "malformed"
    TIMEOUT = "timeout"  # not in a ledger yet; the client should poll or resubmit


@dataclass(frozen=True, slots=True)
class Submission:
    kind: SubmissionKind
    envelope_xdr: str
    hash: str = ""
    record: TransactionRecord | None = None
    outcome: TransactionOutcome | None = None
    detail: str = ""


Settlement = TransactionRecord | TransactionOutcome
T = TypeVar("T")


class AlreadyFunded(Exception):
    """Friendbot was asked to fund an account that exists."""


class SandboxNode:
    def __init__(self, config: NodeConfig, ledger: Ledger | None = None) -> None:
        self.config = config
        self.ledger = ledger if ledger is not None else self._open_ledger()
        self.faults = FaultPlan()
        self.lock = threading.RLock()
        self._friendbot = Friendbot(self.ledger)
        self._settlements: dict[str, asyncio.Future[Settlement]] = {}
        self._funding: dict[str, asyncio.Future[Settlement]] = {}
        self._funding_batches: dict[str, list[str]] = {}
        self._next_close: asyncio.Future[LedgerRecord] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: asyncio.Task[None] | None = None
        self._saver: asyncio.Task[None] | None = None
        self._dirty = False
        self._saved_at = time.monotonic()

    def _open_ledger(self) -> Ledger:
        path = self.config.state_path
        if path is not None and path.exists():
            log.info("sandbox: loading the ledger from %s", path)
            return load_ledger(path, self.config.passphrase, self.config.max_tx_set_size)
        return Ledger(self.config.passphrase, max_tx_set_size=self.config.max_tx_set_size)

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise RuntimeError("the sandbox node has not started")
        return self._loop

    # --- lifecycle -------------------------------------------------------------------------------------

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._next_close = self._loop.create_future()
        if self.config.ledger_close_seconds is not None:
            self._timer = asyncio.create_task(self._close_on_timer(self.config.ledger_close_seconds))

    async def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._timer
        if self._saver is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._saver
        self.save()

    def save(self) -> None:
        if self.config.state_path is None:
            return
        with self.lock:
            state = snapshot(self.ledger)
        write_atomically(self.config.state_path, json.dumps(state, separators=(",", ":")))
        self._saved_at = time.monotonic()

    async def _close_on_timer(self, interval: float) -> None:
        loop = asyncio.get_running_loop()
        due = loop.time() + interval
        while True:
            await asyncio.sleep(max(0.0, due - loop.time()))
            due = max(due + interval, loop.time())
            try:
                await self.close_ledger()
            except Exception:
                log.exception("sandbox: closing a ledger failed")

    # --- submitting ------------------------------------------------------------------------------------

    def submit_async(self, envelope_xdr: str) -> Admission:
        """Queues without waiting (POST /transactions_async)."""
        with self.lock:
            return self.ledger.submit(envelope_xdr)

    async def submit_and_wait(self, envelope_xdr: str) -> Submission:
        """Queues and waits for the ledger (POST /transactions); a repeated envelope gets the same answer."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.config.submission_timeout
        while True:
            with self.lock:
                admission = self.ledger.submit(envelope_xdr)
            status, tx_hash = admission.status, admission.hash
            if status is AdmissionStatus.APPLIED:
                return Submission(SubmissionKind.APPLIED, envelope_xdr, tx_hash, record=admission.record)
            if status is AdmissionStatus.REJECTED:
                return Submission(SubmissionKind.REJECTED, envelope_xdr, tx_hash, outcome=admission.outcome)
            if status is AdmissionStatus.MALFORMED:
                return Submission(SubmissionKind.MALFORMED, envelope_xdr, detail=admission.detail)
            timeout = Submission(SubmissionKind.TIMEOUT, envelope_xdr, tx_hash)
            if status is AdmissionStatus.TRY_AGAIN_LATER:  # its source has one queued: wait a ledger
                if await self._wait(self._next_close_future(), deadline - loop.time()) is None:
                    return timeout
                continue
            settlement = await self._wait(self._settlement(tx_hash), deadline - loop.time())
            if settlement is None:
                return timeout
            if isinstance(settlement, TransactionRecord):
                return Submission(SubmissionKind.APPLIED, envelope_xdr, tx_hash, record=settlement)
            return Submission(SubmissionKind.REJECTED, envelope_xdr, tx_hash, outcome=settlement)

    def hash_of(self, envelope_xdr: str) -> str:
        """The envelope's transaction hash, or "" when it cannot be read (for timeout answers)."""
        try:
            return decode_envelope(envelope_xdr, self.ledger.network_id).hash_hex
        except MalformedEnvelope:
            return ""

    async def fund(self, address: str) -> Settlement:
        """Friendbot: creates `address` with 10,000 XLM in the next ledger and returns that transaction."""
        if not StrKey.is_valid_ed25519_public_key(address):
            raise ValueError(f"not an account address: {address!r}")
        with self.lock:
            if self.ledger.account(address) is not None:
                raise AlreadyFunded(address)
            self._friendbot.request(address)
        future = self._funding.get(address)
        if future is None:
            future = self._funding[address] = self.loop.create_future()
        if self.config.ledger_close_seconds is None:  # manual ledgers: friendbot closes one itself
            await self.close_ledger()
        settlement = await self._wait(future, self.config.submission_timeout)
        if settlement is None:
            raise TimeoutError("friendbot: no ledger closed in time")
        return settlement

    # --- closing ---------------------------------------------------------------------------------------

    async def close_ledger(self) -> LedgerRecord:
        with self.lock:
            self._queue_funding()
            closed = self.ledger.close()
        settled: dict[str, Settlement] = {**closed.dropped, **closed.applied}
        for tx_hash, settlement in settled.items():
            future = self._settlements.pop(tx_hash, None)
            if future is not None and not future.done():
                future.set_result(settlement)
            for address in self._funding_batches.pop(tx_hash, []):
                self._settle_funding(address, settlement)
        if self._next_close is not None and not self._next_close.done():
            self._next_close.set_result(closed.ledger)
        self._next_close = self.loop.create_future()
        self._schedule_save(bool(closed.applied))
        return closed.ledger

    def _queue_funding(self) -> None:
        batch = self._friendbot.build_batch()
        if batch is None:
            return
        for address in batch.already_funded:
            self._settle_funding(address, AlreadyFunded(address))
        if not batch.envelope_xdr:
            return
        admission = self.ledger.submit(batch.envelope_xdr)
        if admission.status is AdmissionStatus.PENDING:
            self._funding_batches[admission.hash] = batch.funded
            return
        log.warning("sandbox: friendbot's transaction was refused: %s", admission)
        for address in batch.funded:
            self._settle_funding(
                address, RuntimeError(f"friendbot's transaction was refused ({admission.status})")
            )

    def _settle_funding(self, address: str, result: Settlement | Exception) -> None:
        future = self._funding.pop(address, None)
        if future is None or future.done():
            return
        if isinstance(result, Exception):
            future.set_exception(result)
        else:
            future.set_result(result)

    def _schedule_save(self, changed: bool) -> None:
        if self.config.state_path is None:
            return
        if not changed and time.monotonic() - self._saved_at < IDLE_SAVE_SECONDS:
            return
        self._dirty = True
        if self._saver is None or self._saver.done():
            self._saver = asyncio.create_task(self._save_while_dirty())

    async def _save_while_dirty(self) -> None:
        assert self.config.state_path is not None
        while self._dirty:
            self._dirty = False
            with self.lock:
                state = snapshot(self.ledger)
            text = await asyncio.to_thread(json.dumps, state, separators=(",", ":"))
            await asyncio.to_thread(write_atomically, self.config.state_path, text)
            self._saved_at = time.monotonic()

    # --- waiting ---------------------------------------------------------------------------------------

    def _settlement(self, tx_hash: str) -> asyncio.Future[Settlement]:
        future = self._settlements.get(tx_hash)
        if future is None:
            future = self._settlements[tx_hash] = self.loop.create_future()
        return future

    def _next_close_future(self) -> asyncio.Future[LedgerRecord]:
        if self._next_close is None:
            self._next_close = self.loop.create_future()
        return self._next_close

    @staticmethod
    async def _wait(future: asyncio.Future[T], seconds: float) -> T | None:
        """The future's result, or None after `seconds`; the future itself is left for other waiters."""
        if seconds <= 0:
            return None
        try:
            return await asyncio.wait_for(asyncio.shield(future), seconds)
        except TimeoutError:
            return None
