"""Builds the Stellar transaction for a payment with stellar-sdk: time-bounded, one operation."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from stellar_sdk import Account, Keypair, TransactionBuilder, TransactionEnvelope, xdr

from paycrypt.core.payments.model import Payment
from paycrypt.core.values import format_stroops


def build_envelope(
    payment: Payment,
    *,
    sequence: int,
    passphrase: str,
    fee_per_operation: int,
    max_time: datetime,
    channel: str | None = None,
) -> TransactionEnvelope:
    """The unsigned envelope: time bounds (0, max_time), memo, one operation.

    With a ``channel`` the channel is the transaction's source (``sequence`` is the channel's) and pays the
    fee, while the operation's own source is the funds account."""
    op_source = payment.source_account if channel is not None else None
    builder = TransactionBuilder(
        source_account=Account(channel or payment.source_account, sequence),
        network_passphrase=passphrase,
        base_fee=fee_per_operation,
    )
    builder.add_time_bounds(0, int(max_time.timestamp()))
    if not payment.memo.is_none:
        builder.add_memo(payment.memo.to_sdk())
    amount = format_stroops(payment.amount_stroops)
    if payment.operation == "create_account":
        builder.append_create_account_op(
            destination=payment.destination_account, starting_balance=amount, source=op_source
        )
    else:
        builder.append_payment_op(
            destination=payment.destination_account,
            asset=payment.asset.to_sdk(),
            amount=amount,
            source=op_source,
        )
    return builder.build()


def sign_envelope(envelope: TransactionEnvelope, signers: Iterable[Keypair]) -> tuple[str, str]:
    """Signs with every key over one hash (the sdk's ``sign`` hashes the transaction again for each key) and
    returns the envelope's XDR and the transaction hash in hex."""
    tx_hash = envelope.hash()
    for keypair in signers:
        envelope.signatures.append(keypair.sign_decorated(tx_hash))
    return envelope.to_xdr(), tx_hash.hex()


def envelope_sequence(envelope_xdr: str) -> int:
    """The sequence number an envelope consumes, read straight from its XDR."""
    envelope = xdr.TransactionEnvelope.from_xdr(envelope_xdr)
    assert envelope.v1 is not None, "PayCrypt builds v1 envelopes only"
    return int(envelope.v1.tx.seq_num.sequence_number.int64)
