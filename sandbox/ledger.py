"""The sandbox's ledger: accounts, a queue of submitted transactions, and ledgers closed over them.

Pure Python, no HTTP and no threads: `submit()` checks a transaction as stellar-core does when it
receives one, and queues it; `close()` picks the queued transactions by fee (highest bid per operation
first) up to `max_tx_set_size` operations, charges every fee, applies each transaction all-or-nothing,
and records the ledger. Callers serialise access (the HTTP node holds a lock).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction
from typing import Final

from stellar_sdk import Keypair

from paycrypt.sandbox.accounts import Account
from paycrypt.sandbox.amounts import lumens
from paycrypt.sandbox.envelopes import DecodedTransaction, MalformedEnvelope, decode_envelope, network_id
from paycrypt.sandbox.history import History
from paycrypt.sandbox.overlay import AccountOverlay
from paycrypt.sandbox.records import LedgerRecord, TransactionRecord
from paycrypt.sandbox.results import TransactionOutcome, TxCode, refused
from paycrypt.sandbox.signatures import SignatureChecker, VerificationCache
from paycrypt.sandbox.transaction_apply import AppliedTransaction, apply_transaction
from paycrypt.sandbox.validation import (
    Conditions,
    check_operations,
    check_preconditions,
    check_source,
    fee_to_charge,
)

BASE_FEE: Final = 100
BASE_RESERVE: Final = 5_000_000
MAX_TX_SET_SIZE: Final = 1000
TOTAL_COINS: Final = lumens(100_000_000_000)
PROTOCOL_VERSION: Final = 21


class AdmissionStatus(StrEnum):
    PENDING = "PENDING"  # queued for the next ledger
    DUPLICATE = "DUPLICATE"  # the same envelope is already queued
    APPLIED = "APPLIED"  # the same envelope is already in a ledger: here is its record
    REJECTED = "REJECTED"  # refused before any ledger; nothing charged
    MALFORMED = "MALFORMED"  # not a readable envelope
    TRY_AGAIN_LATER = "TRY_AGAIN_LATER"  # its source already has a transaction in the queue


@dataclass(frozen=True, slots=True)
class Admission:
    status: AdmissionStatus
    envelope_xdr: str
    hash: str = ""
    outcome: TransactionOutcome | None = None
    record: TransactionRecord | None = None
    detail: str = ""


@dataclass(slots=True)
class PendingTransaction:
    tx: DecodedTransaction
    verifications: VerificationCache = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ClosedLedger:
    ledger: LedgerRecord
    applied: dict[str, TransactionRecord]
    dropped: dict[str, TransactionOutcome]  # queued, but no longer valid when the ledger closed


def root_keypair(passphrase: str) -> Keypair:
    """The account holding every lumen at genesis: its seed is the network id, as in stellar-core."""
    return Keypair.from_raw_ed25519_seed(network_id(passphrase))


class Ledger:
    def __init__(
        self,
        passphrase: str,
        *,
        max_tx_set_size: int = MAX_TX_SET_SIZE,
        clock: Callable[[], float] = time.time,
        genesis: bool = True,
    ) -> None:
        self.passphrase = passphrase
        self.network_id = network_id(passphrase)
        self.base_fee = BASE_FEE
        self.base_reserve = BASE_RESERVE
        self.max_tx_set_size = max_tx_set_size
        self.clock = clock
        self.accounts: dict[str, Account] = {}
        self.history = History()
        self.fee_pool = 0
        self.pending: dict[str, PendingTransaction] = {}
        self._pending_sources: dict[str, str] = {}
        if genesis:
            self._genesis()

    # --- reading ---------------------------------------------------------------------------------------

    @property
    def latest(self) -> LedgerRecord:
        return self.history.latest

    @property
    def root_account_id(self) -> str:
        return root_keypair(self.passphrase).public_key

    def account(self, account_id: str) -> Account | None:
        return self.accounts.get(account_id)

    def transaction(self, tx_hash: str) -> TransactionRecord | None:
        return self.history.transactions.get(tx_hash)

    def has_pending_from(self, source: str) -> bool:
        return source in self._pending_sources

    def total_native(self) -> int:
        return sum(account.balance for account in self.accounts.values())

    # --- submitting ------------------------------------------------------------------------------------

    def submit(self, envelope_xdr: str) -> Admission:
        """Checks a transaction against the current state and queues it for the next ledger."""
        try:
            tx = decode_envelope(envelope_xdr, self.network_id)
        except MalformedEnvelope as err:
            return Admission(AdmissionStatus.MALFORMED, envelope_xdr, detail=str(err))
        tx_hash = tx.hash_hex
        known = self.history.transactions.get(tx_hash)
        if known is not None:
            return Admission(AdmissionStatus.APPLIED, envelope_xdr, tx_hash, record=known)
        if tx_hash in self.pending:
            return Admission(AdmissionStatus.DUPLICATE, envelope_xdr, tx_hash)
        if tx.source in self._pending_sources:
            return Admission(AdmissionStatus.TRY_AGAIN_LATER, envelope_xdr, tx_hash)
        pending = PendingTransaction(tx)
        now = max(self.latest.closed_at, int(self.clock()))
        refusal = self._refusal(
            pending, Conditions(now, self.latest.sequence + 1, self.base_fee, self.base_reserve)
        )
        if refusal is not None:
            return Admission(AdmissionStatus.REJECTED, envelope_xdr, tx_hash, outcome=refusal)
        self.pending[tx_hash] = pending
        self._pending_sources[tx.source] = tx_hash
        return Admission(AdmissionStatus.PENDING, envelope_xdr, tx_hash)

    def _refusal(self, pending: PendingTransaction, conditions: Conditions) -> TransactionOutcome | None:
        tx = pending.tx
        code = check_preconditions(tx, conditions)
        if code is not None:
            return refused(code)
        checker = SignatureChecker(tx.hash, tx.signatures, pending.verifications)
        source = self.accounts.get(tx.source)
        code = check_source(tx, source, checker)
        if code is not None:
            return refused(code)
        assert source is not None
        if source.available_balance(self.base_reserve) < fee_to_charge(tx, conditions.base_fee):
            return refused(TxCode.INSUFFICIENT_BALANCE)
        op_failures = check_operations(tx, AccountOverlay(self.accounts), checker)
        if op_failures is not None:
            return refused(TxCode.FAILED, op_failures)
        if not checker.all_used():
            return refused(TxCode.BAD_AUTH_EXTRA)
        return None

    # --- closing ---------------------------------------------------------------------------------------

    def close(self, close_time: int | None = None) -> ClosedLedger:
        previous = self.latest
        wall = int(self.clock()) if close_time is None else close_time
        sequence = previous.sequence + 1
        chosen, ledger_base_fee = self._select()
        conditions = Conditions(max(previous.closed_at, wall), sequence, ledger_base_fee, self.base_reserve)
        dropped: dict[str, TransactionOutcome] = {}
        valid: list[PendingTransaction] = []
        for pending in chosen:
            self._dequeue(pending.tx)
            refusal = self._refusal(pending, conditions)
            if refusal is None:
                valid.append(pending)
            else:
                dropped[pending.tx.hash_hex] = refusal
        fees = [self._charge_fee(pending.tx, ledger_base_fee) for pending in valid]
        applied = [
            apply_transaction(pending, fee, order, conditions, self.accounts)
            for order, (pending, fee) in enumerate(zip(valid, fees, strict=True), start=1)
        ]
        ledger = self._record(previous, conditions, applied)
        return ClosedLedger(ledger, {item.record.hash: item.record for item in applied}, dropped)

    def _select(self) -> tuple[list[PendingTransaction], int]:
        """The queued transactions that fit in one ledger, highest bid per operation first.

        When they do not all fit (surge pricing), every included transaction pays the lowest included bid
        per operation instead of the base fee.
        """
        queue = sorted(self.pending.values(), key=lambda p: -Fraction(p.tx.fee, max(p.tx.operation_count, 1)))
        chosen: list[PendingTransaction] = []
        operations = 0
        surge = False
        for pending in queue:
            count = max(pending.tx.operation_count, 1)
            if operations + count > self.max_tx_set_size:
                surge = True
                continue
            chosen.append(pending)
            operations += count
        if not surge or not chosen:
            return chosen, self.base_fee
        lowest_bid = min(p.tx.fee // max(p.tx.operation_count, 1) for p in chosen)
        return chosen, max(self.base_fee, lowest_bid)

    def _dequeue(self, tx: DecodedTransaction) -> None:
        self.pending.pop(tx.hash_hex, None)
        self._pending_sources.pop(tx.source, None)

    def _charge_fee(self, tx: DecodedTransaction, ledger_base_fee: int) -> int:
        source = self.accounts[tx.source]
        fee = min(fee_to_charge(tx, ledger_base_fee), source.balance)
        source.balance -= fee
        self.fee_pool += fee
        return fee

    def _record(
        self, previous: LedgerRecord, conditions: Conditions, applied: list[AppliedTransaction]
    ) -> LedgerRecord:
        digest = hashlib.sha256(previous.hash.encode("ascii") + conditions.ledger_sequence.to_bytes(8, "big"))
        for item in applied:
            digest.update(bytes.fromhex(item.record.hash))
        successful = sum(1 for item in applied if item.record.successful)
        ledger = LedgerRecord(
            sequence=conditions.ledger_sequence,
            hash=digest.hexdigest(),
            prev_hash=previous.hash,
            closed_at=conditions.close_time,
            successful_transaction_count=successful,
            failed_transaction_count=len(applied) - successful,
            operation_count=sum(item.record.operation_count for item in applied if item.record.successful),
            tx_set_operation_count=sum(item.record.operation_count for item in applied),
            base_fee=self.base_fee,
            base_reserve=self.base_reserve,
            max_tx_set_size=self.max_tx_set_size,
            total_coins=TOTAL_COINS,
            fee_pool=self.fee_pool,
        )
        self.history.record(
            ledger,
            [item.record for item in applied],
            [payment for item in applied for payment in item.payments],
        )
        return ledger

    def _genesis(self) -> None:
        root = self.root_account_id
        self.accounts[root] = Account(
            account_id=root, balance=TOTAL_COINS, sequence=1 << 32, last_modified_ledger=1
        )
        genesis = LedgerRecord(
            sequence=1,
            hash=hashlib.sha256(self.network_id).hexdigest(),
            prev_hash="0" * 64,
            closed_at=int(self.clock()),
            successful_transaction_count=0,
            failed_transaction_count=0,
            operation_count=0,
            tx_set_operation_count=0,
            base_fee=self.base_fee,
            base_reserve=self.base_reserve,
            max_tx_set_size=self.max_tx_set_size,
            total_coins=TOTAL_COINS,
            fee_pool=0,
        )
        self.history.record(genesis, [], [])
