"""Applies one transaction whose fee is already charged: all of its operations, or none of them."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import TYPE_CHECKING

from paycrypt.sandbox.accounts import Account
from paycrypt.sandbox.envelopes import DecodedTransaction
from paycrypt.sandbox.operations import ApplyContext, apply_operation
from paycrypt.sandbox.operations_model import AccountMerge, CreateAccount, Operation, Payment
from paycrypt.sandbox.overlay import AccountOverlay
from paycrypt.sandbox.records import PaymentRecord, TransactionRecord, toid
from paycrypt.sandbox.results import OpOutcome, OpResult, TransactionOutcome, TxCode
from paycrypt.sandbox.signatures import SignatureChecker
from paycrypt.sandbox.validation import Conditions, check_operations, check_source

if TYPE_CHECKING:
    from paycrypt.sandbox.ledger import PendingTransaction


@dataclass(frozen=True, slots=True)
class AppliedTransaction:
    record: TransactionRecord
    payments: tuple[PaymentRecord, ...]


def apply_transaction(
    pending: PendingTransaction, fee: int, order: int, conditions: Conditions, accounts: dict[str, Account]
) -> AppliedTransaction:
    tx = pending.tx
    outcome, merged = _outcome(pending, fee, conditions, accounts)
    record = _record(tx, outcome, order, conditions)
    payments = _payments(tx, record, merged) if outcome.successful else ()
    return AppliedTransaction(record, payments)


def _outcome(
    pending: PendingTransaction, fee: int, conditions: Conditions, accounts: dict[str, Account]
) -> tuple[TransactionOutcome, dict[int, int]]:
    tx = pending.tx
    checker = SignatureChecker(tx.hash, tx.signatures, pending.verifications)
    source = accounts.get(tx.source)
    code = check_source(tx, source, checker)
    if code in (TxCode.NO_ACCOUNT, TxCode.BAD_SEQ):
        return TransactionOutcome(code, fee), {}
    assert source is not None
    source.sequence = tx.sequence  # consumed from here on, whatever the operations do
    source.last_modified_ledger = conditions.ledger_sequence
    if code is not None:
        return TransactionOutcome(code, fee), {}
    overlay = AccountOverlay(accounts)
    op_failures = check_operations(tx, overlay, checker)
    if op_failures is not None:
        return TransactionOutcome(TxCode.FAILED, fee, op_failures), {}
    if not checker.all_used():
        return TransactionOutcome(TxCode.BAD_AUTH_EXTRA, fee), {}
    context = ApplyContext(overlay, conditions.ledger_sequence, conditions.base_reserve)
    results: list[OpResult] = []
    merged: dict[int, int] = {}
    for index, op in enumerate(tx.operations):
        op_source = overlay.load(op.source or tx.source)
        if op_source is None:  # merged away by an earlier operation of this transaction
            results.append(OpResult(op.op_type, outcome=OpOutcome.NO_ACCOUNT))
            continue
        code_of_op, merged_balance = apply_operation(op, op_source, context)
        results.append(OpResult(op.op_type, code_of_op, merged_balance=merged_balance))
        if isinstance(op, AccountMerge):
            merged[index] = merged_balance
    if all(result.succeeded for result in results):
        overlay.commit(conditions.ledger_sequence)
        return TransactionOutcome(TxCode.SUCCESS, fee, tuple(results)), merged
    return TransactionOutcome(TxCode.FAILED, fee, tuple(results)), {}


def _record(
    tx: DecodedTransaction, outcome: TransactionOutcome, order: int, conditions: Conditions
) -> TransactionRecord:
    return TransactionRecord(
        hash=tx.hash_hex,
        ledger=conditions.ledger_sequence,
        order=order,
        closed_at=conditions.close_time,
        successful=outcome.successful,
        source_account=tx.source,
        source_account_sequence=tx.sequence,
        fee_charged=outcome.fee_charged,
        max_fee=tx.fee,
        operation_count=tx.operation_count,
        envelope_xdr=tx.envelope_xdr,
        result_xdr=outcome.result_xdr(),
        result_codes=outcome.result_codes(),
        memo=tx.memo,
        signatures=tuple(base64.b64encode(signature).decode("ascii") for _, signature in tx.signatures),
        min_time=tx.min_time,
        max_time=tx.max_time,
        participants=_participants(tx),
    )


def _participants(tx: DecodedTransaction) -> tuple[str, ...]:
    seen = {tx.source: None}
    for op in tx.operations:
        if op.source is not None:
            seen[op.source] = None
        destination = _destination(op)
        if destination is not None:
            seen[destination] = None
    return tuple(seen)


def _destination(op: Operation) -> str | None:
    if isinstance(op, CreateAccount | Payment | AccountMerge):
        return op.destination
    return None


def _payments(
    tx: DecodedTransaction, record: TransactionRecord, merged: dict[int, int]
) -> tuple[PaymentRecord, ...]:
    payments: list[PaymentRecord] = []
    for index, op in enumerate(tx.operations):
        if isinstance(op, CreateAccount):
            kind, amount, asset = "create_account", op.starting_balance, None
        elif isinstance(op, Payment):
            kind, amount, asset = "payment", op.amount, op.asset
        elif isinstance(op, AccountMerge):
            kind, amount, asset = "account_merge", merged.get(index, 0), None
        else:
            continue
        source = op.source or tx.source
        payments.append(
            PaymentRecord(
                id=toid(record.ledger, record.order, index + 1),
                kind=kind,
                transaction_hash=record.hash,
                closed_at=record.closed_at,
                source_account=source,
                from_account=source,
                to_account=op.destination,
                amount=amount,
                asset=asset,
            )
        )
    return tuple(payments)
