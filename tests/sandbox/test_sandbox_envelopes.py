"""Envelope limits enforced at decoding (memo, operations, signatures) and result XDR the sdk can read."""

from __future__ import annotations

import base64
import struct
from typing import Any

from stellar_sdk import Asset, Keypair, MuxedAccount, xdr

from paycrypt.sandbox.ledger import AdmissionStatus
from paycrypt.sandbox.results import OpOutcome, OpResult, OpType, TransactionOutcome, TxCode


def raw(envelope_xdr: str) -> bytes:
    return base64.b64decode(envelope_xdr)


def encoded(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_a_memo_text_longer_than_28_bytes_is_malformed(driver):
    (alice,) = driver.fund(1)
    envelope = driver.sign(
        driver.builder(alice).add_text_memo("x" * 28).append_manage_data_op("k", "v"), alice
    )
    assert driver.ledger.submit(envelope).status is AdmissionStatus.PENDING
    too_long = raw(envelope).replace(
        struct.pack(">II", 1, 28) + b"x" * 28, struct.pack(">II", 1, 29) + b"x" * 29 + b"\x00" * 3
    )
    admission = driver.ledger.submit(encoded(too_long))
    assert admission.status is AdmissionStatus.MALFORMED


def test_more_than_20_signatures_is_malformed(driver):
    (alice,) = driver.fund(1)
    data = raw(driver.sign(driver.builder(alice).append_manage_data_op("k", "v"), alice))
    body, signature = data[:-76], data[-72:]  # one decorated signature: count, hint, length, 64 bytes
    admission = driver.ledger.submit(encoded(body + struct.pack(">I", 21) + signature * 21))
    assert admission.status is AdmissionStatus.MALFORMED
    assert "20" in admission.detail


def test_more_than_100_operations_is_malformed(driver):
    alice, bob = driver.fund(2)
    builder = driver.builder(alice)
    for _ in range(100):
        builder.append_payment_op(bob.public_key, Asset.native(), "1")
    envelope: Any = xdr.TransactionEnvelope.from_xdr(driver.sign(builder, alice))
    tx_bytes = envelope.v1.tx.to_xdr_bytes()
    one_op = envelope.v1.tx.operations[0].to_xdr_bytes()
    count_at = tx_bytes.index(struct.pack(">I", 100) + one_op)
    widened = tx_bytes[:count_at] + struct.pack(">I", 101) + one_op + tx_bytes[count_at + 4 :]
    data = struct.pack(">i", 2) + widened + struct.pack(">I", 0)
    assert driver.ledger.submit(encoded(data)).status is AdmissionStatus.MALFORMED


def test_a_100_operation_transaction_is_accepted(driver):
    alice, bob = driver.fund(2)
    builder = driver.builder(alice)
    for _ in range(100):
        builder.append_payment_op(bob.public_key, Asset.native(), "1")
    admission = driver.ledger.submit(driver.sign(builder, alice))
    assert admission.status is AdmissionStatus.PENDING
    record = driver.ledger.close().applied[admission.hash]
    assert record.successful and record.fee_charged == 10_000


def test_a_muxed_destination_pays_its_underlying_account(driver):
    alice, bob = driver.fund(2)
    destination = MuxedAccount(bob.public_key, 42).account_muxed
    assert destination is not None and destination.startswith("M")
    builder = driver.builder(alice).append_payment_op(destination, Asset.native(), "3")
    admission = driver.ledger.submit(driver.sign(builder, alice))
    assert driver.ledger.close().applied[admission.hash].successful
    assert driver.ledger.account(bob.public_key).balance == 1003 * 10**7


def test_result_xdr_for_each_outcome_reads_back_with_the_sdk():
    outcomes = [
        TransactionOutcome(
            TxCode.SUCCESS,
            300,
            (OpResult(OpType.PAYMENT), OpResult(OpType.ACCOUNT_MERGE, 0, merged_balance=7)),
        ),
        TransactionOutcome(TxCode.FAILED, 100, (OpResult(OpType.CHANGE_TRUST, -3),)),
        TransactionOutcome(TxCode.FAILED, 100, (OpResult(OpType.SET_OPTIONS, outcome=OpOutcome.BAD_AUTH),)),
        TransactionOutcome(TxCode.BAD_SEQ, 0),
        TransactionOutcome(TxCode.BAD_AUTH_EXTRA, 100),
    ]
    for outcome in outcomes:
        result = xdr.TransactionResult.from_xdr(outcome.result_xdr())
        assert result.fee_charged.int64 == outcome.fee_charged
        assert result.result.code.value == outcome.code
        assert len(result.result.results or []) == len(outcome.op_results)
    success: Any = xdr.TransactionResult.from_xdr(outcomes[0].result_xdr())  # Any: every arm is Optional
    assert success.result.results[1].tr.account_merge_result.source_account_balance.int64 == 7
    assert outcomes[1].result_codes() == {"transaction": "tx_failed", "operations": ["op_invalid_limit"]}
    assert outcomes[2].result_codes() == {"transaction": "tx_failed", "operations": ["op_bad_auth"]}
    assert outcomes[3].result_codes() == {"transaction": "tx_bad_seq"}


def test_a_random_signer_key_unknown_to_the_account_counts_for_nothing(driver):
    (alice,) = driver.fund(1)
    stranger = Keypair.random()
    admission = driver.ledger.submit(
        driver.sign(driver.builder(alice).append_manage_data_op("k", "v"), stranger)
    )
    assert admission.outcome is not None
    assert admission.outcome.code is TxCode.BAD_AUTH
