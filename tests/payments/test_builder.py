"""The payment's transaction, built from XDR types and encoded once, equals stellar-sdk's build and sign."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from stellar_sdk import Account, Keypair, MuxedAccount, TransactionBuilder, TransactionEnvelope

from paycrypt.core.payment_status import PaymentStatus
from paycrypt.core.payments.builder import build_transaction, envelope_sequence, sign_transaction
from paycrypt.core.payments.model import Payment
from paycrypt.core.settings import SANDBOX_PASSPHRASE
from paycrypt.core.values import Asset, Memo, format_stroops

FUNDS, CHANNEL, COSIGNER = Keypair.random(), Keypair.random(), Keypair.random()
DESTINATION = Keypair.random().public_key
ISSUER = Keypair.random().public_key
MAX_TIME = datetime(2031, 5, 4, 3, 2, 1, tzinfo=UTC)
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _payment(**changes) -> Payment:
    payment = Payment(
        id="p1", idempotency_key="k", status=PaymentStatus.RECEIVED, operation="payment",
        source_tag="treasury", source_account=FUNDS.public_key, destination="bob", destination_tag="bob",
        destination_account=DESTINATION, asset=Asset.native(), amount_stroops=12_500_000, memo=Memo.none(),
        fee_stroops=100, tx_hash=None, envelope_xdr=None, ledger=None, result_codes=None, error_code=None,
        error_message=None, request_hash="h", limit_day=None, attempts=0, max_time=None,
        channel_account=None, created_at=NOW, updated_at=NOW, submitted_at=None, completed_at=None,
    )  # fmt: skip
    return replace(payment, **changes)


def _sdk_build(payment: Payment, sequence: int, fee: int, channel: str | None) -> TransactionEnvelope:
    source = Account(channel or payment.source_account, sequence)
    builder = TransactionBuilder(source, SANDBOX_PASSPHRASE, fee)
    builder.add_time_bounds(0, int(MAX_TIME.timestamp()))
    if not payment.memo.is_none:
        builder.add_memo(payment.memo.to_sdk())
    op_source = payment.source_account if channel else None
    amount = format_stroops(payment.amount_stroops)
    if payment.operation == "create_account":
        builder.append_create_account_op(payment.destination_account, amount, source=op_source)
    else:
        builder.append_payment_op(payment.destination_account, payment.asset.to_sdk(), amount, op_source)
    return builder.build()


MUXED = MuxedAccount(DESTINATION, 7_000_000_001).account_muxed
assert MUXED is not None


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"memo": Memo.parse("invoice 42", "text")},
        {"memo": Memo.parse("18446744073709551615", "id")},
        {"memo": Memo.parse("ab" * 32, "hash")},
        {"asset": Asset(code="USDC", issuer=ISSUER)},
        {"asset": Asset(code="LONGASSET12", issuer=ISSUER), "amount_stroops": 9_223_372_036_854_775_807},
        {"destination_account": MUXED},
        {"operation": "create_account", "amount_stroops": 20_000_000},
    ],
    ids=["native", "text-memo", "id-memo", "hash-memo", "credit4", "credit12-max", "muxed", "create-account"],
)
@pytest.mark.parametrize("channel", [None, CHANNEL.public_key], ids=["direct", "channel"])
def test_the_transaction_equals_the_sdks_build_and_sign(changes, channel):
    payment = _payment(**changes)
    signers = [FUNDS, CHANNEL] if channel else [FUNDS]
    unsigned = build_transaction(
        payment, sequence=41, passphrase=SANDBOX_PASSPHRASE, fee_per_operation=250, max_time=MAX_TIME,
        channel=channel,
    )  # fmt: skip
    envelope_xdr, tx_hash = sign_transaction(unsigned, signers)

    theirs = _sdk_build(payment, 41, 250, channel)
    for keypair in signers:
        theirs.sign(keypair)
    assert envelope_xdr == theirs.to_xdr()
    assert tx_hash == theirs.hash_hex()
    assert envelope_sequence(envelope_xdr) == 42


def test_signatures_verify_against_the_hash_and_keep_their_order():
    unsigned = build_transaction(
        _payment(), sequence=1, passphrase=SANDBOX_PASSPHRASE, fee_per_operation=100, max_time=MAX_TIME
    )
    envelope_xdr, tx_hash = sign_transaction(unsigned, [FUNDS, COSIGNER])
    envelope = TransactionEnvelope.from_xdr(envelope_xdr, SANDBOX_PASSPHRASE)
    assert [s.signature_hint for s in envelope.signatures] == [
        FUNDS.signature_hint(),
        COSIGNER.signature_hint(),
    ]
    for keypair, signature in zip([FUNDS, COSIGNER], envelope.signatures, strict=True):
        keypair.verify(bytes.fromhex(tx_hash), signature.signature)  # raises if it does not verify
