"""The checks a transaction must pass to enter a ledger, and again when the ledger applies it.

Order and codes follow stellar-core's TransactionFrame::commonValid and checkValid: missing operation,
time and ledger bounds, fee, source account, sequence, low-threshold signature, balance for the fee; then
per operation: source account, support, threshold; last, no signature may go unused.
"""

from __future__ import annotations

from dataclasses import dataclass

from paycrypt.sandbox.accounts import Account
from paycrypt.sandbox.envelopes import DecodedTransaction
from paycrypt.sandbox.operations_model import AccountMerge, Operation, SetOptions, Unsupported
from paycrypt.sandbox.overlay import AccountOverlay
from paycrypt.sandbox.results import OpOutcome, OpResult, TxCode
from paycrypt.sandbox.signatures import SignatureChecker


@dataclass(frozen=True, slots=True)
class Conditions:
    """The ledger a transaction is checked for: its close time and sequence, and the network's fees."""

    close_time: int
    ledger_sequence: int
    base_fee: int
    base_reserve: int


def fee_to_charge(tx: DecodedTransaction, base_fee: int) -> int:
    """What the ledger charges: the base fee per operation, never more than the transaction bid."""
    return min(tx.fee, base_fee * len(tx.operations))


def check_preconditions(tx: DecodedTransaction, conditions: Conditions) -> TxCode | None:
    if not tx.operations:
        return TxCode.MISSING_OPERATION
    if tx.unsupported_preconditions:
        return TxCode.NOT_SUPPORTED  # min sequence, sequence age/gap and extra signers are not modelled
    if tx.min_time > conditions.close_time or tx.min_ledger > conditions.ledger_sequence:
        return TxCode.TOO_EARLY
    if (tx.max_time and tx.max_time < conditions.close_time) or (
        tx.max_ledger and tx.max_ledger <= conditions.ledger_sequence
    ):
        return TxCode.TOO_LATE
    if tx.fee < conditions.base_fee * len(tx.operations):
        return TxCode.INSUFFICIENT_FEE
    return None


def check_source(tx: DecodedTransaction, source: Account | None, checker: SignatureChecker) -> TxCode | None:
    if source is None:
        return TxCode.NO_ACCOUNT
    if tx.sequence != source.sequence + 1:
        return TxCode.BAD_SEQ
    if not checker.has_weight(source, source.low_threshold):
        return TxCode.BAD_AUTH
    return None


def check_operations(
    tx: DecodedTransaction, accounts: AccountOverlay, checker: SignatureChecker
) -> tuple[OpResult, ...] | None:
    """None when every operation has an existing, sufficiently signed source; else each op's result."""
    results: list[OpResult] = []
    failed = False
    for op in tx.operations:
        outcome = _operation_outcome(op, tx.source, accounts, checker)
        failed = failed or outcome is not OpOutcome.INNER
        results.append(OpResult(op_type=op.op_type, outcome=outcome))
    return tuple(results) if failed else None


def _operation_outcome(
    op: Operation, tx_source: str, accounts: AccountOverlay, checker: SignatureChecker
) -> OpOutcome:
    if isinstance(op, Unsupported):
        return OpOutcome.NOT_SUPPORTED
    account = accounts.peek(op.source or tx_source)
    if account is None:
        return OpOutcome.NO_ACCOUNT
    if not checker.has_weight(account, _threshold(op, account)):
        return OpOutcome.BAD_AUTH
    return OpOutcome.INNER


def _threshold(op: Operation, account: Account) -> int:
    if isinstance(op, AccountMerge) or (isinstance(op, SetOptions) and op.needs_high_threshold):
        return account.high_threshold
    return account.med_threshold
