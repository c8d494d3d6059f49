"""Builds and signs the Stellar transaction for a payment: time-bounded, one operation, v1 envelope.

The transaction is assembled from stellar-sdk's XDR types and encoded once. Its hash, its signatures and
the envelope all come from those same bytes: a v1 envelope is its type, the transaction, then the
signatures, and what is signed is the network id followed by that type and those transaction bytes.
A test checks the result against stellar-sdk's ``TransactionBuilder`` and ``sign`` for every kind of
payment PayCrypt sends.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from stellar_sdk import Keypair, MuxedAccount, Network, StrKey, xdr
from xdrlib3 import Packer

from paycrypt.core.payments.model import Payment


@dataclass(frozen=True)
class UnsignedTransaction:
    """A transaction ready to sign: the envelope's first bytes (type and transaction) and its hash."""

    body: bytes
    hash: bytes


def build_transaction(
    payment: Payment,
    *,
    sequence: int,
    passphrase: str,
    fee_per_operation: int,
    max_time: datetime,
    channel: str | None = None,
) -> UnsignedTransaction:
    """The payment's transaction: time bounds (0, max_time), memo, one operation, sequence + 1.

    With a ``channel`` the channel is the transaction's source (``sequence`` is the channel's last) and pays
    the fee, while the operation's own source is the funds account."""
    if payment.operation == "create_account":
        body = xdr.OperationBody(
            type=xdr.OperationType.CREATE_ACCOUNT,
            create_account_op=xdr.CreateAccountOp(
                destination=_account_id(payment.destination_account),
                starting_balance=xdr.Int64(payment.amount_stroops),
            ),
        )
    else:
        body = xdr.OperationBody(
            type=xdr.OperationType.PAYMENT,
            payment_op=xdr.PaymentOp(
                destination=_muxed_account(payment.destination_account),
                asset=payment.asset.to_sdk().to_xdr_object(),
                amount=xdr.Int64(payment.amount_stroops),
            ),
        )
    operation = xdr.Operation(
        source_account=_muxed_account(payment.source_account) if channel is not None else None, body=body
    )
    transaction = xdr.Transaction(
        source_account=_muxed_account(channel or payment.source_account),
        fee=xdr.Uint32(fee_per_operation),
        seq_num=xdr.SequenceNumber(xdr.Int64(sequence + 1)),
        cond=xdr.Preconditions(
            type=xdr.PreconditionType.PRECOND_TIME,
            time_bounds=xdr.TimeBounds(
                min_time=xdr.TimePoint(xdr.Uint64(0)),
                max_time=xdr.TimePoint(xdr.Uint64(int(max_time.timestamp()))),
            ),
        ),
        memo=payment.memo.to_sdk().to_xdr_object(),
        operations=[operation],
        ext=xdr.TransactionExt(0),
    )
    body_bytes = _ENVELOPE_TYPE_TX + transaction.to_xdr_bytes()
    return UnsignedTransaction(
        body=body_bytes, hash=hashlib.sha256(_network_id(passphrase) + body_bytes).digest()
    )


def sign_transaction(unsigned: UnsignedTransaction, signers: Iterable[Keypair]) -> tuple[str, str]:
    """Signs with every key; returns the envelope's XDR (base64) and the transaction hash in hex."""
    signatures = [keypair.sign_decorated(unsigned.hash) for keypair in signers]
    packer = Packer()
    packer.pack_uint(len(signatures))
    for signature in signatures:
        signature.to_xdr_object().pack(packer)
    return base64.b64encode(unsigned.body + packer.get_buffer()).decode(), unsigned.hash.hex()


def envelope_sequence(envelope_xdr: str) -> int:
    """The sequence number an envelope consumes, read straight from its XDR."""
    envelope = xdr.TransactionEnvelope.from_xdr(envelope_xdr)
    assert envelope.v1 is not None, "PayCrypt builds v1 envelopes only"
    return int(envelope.v1.tx.seq_num.sequence_number.int64)


@lru_cache(maxsize=4096)
def _muxed_account(address: str) -> xdr.MuxedAccount:
    """A G... or M... address as XDR. Cached: the same few accounts (funds, channels) recur, and decoding
    a StrKey is costly next to the rest of the build. XDR objects are only read once built."""
    if address.startswith("M"):
        return MuxedAccount.from_account(address).to_xdr_object()
    return xdr.MuxedAccount(
        type=xdr.CryptoKeyType.KEY_TYPE_ED25519,
        ed25519=xdr.Uint256(StrKey.decode_ed25519_public_key(address)),
    )


def _account_id(address: str) -> xdr.AccountID:
    return xdr.AccountID(
        xdr.PublicKey(
            type=xdr.PublicKeyType.PUBLIC_KEY_TYPE_ED25519,
            ed25519=xdr.Uint256(StrKey.decode_ed25519_public_key(address)),
        )
    )


def _envelope_type_tx() -> bytes:
    packer = Packer()
    xdr.EnvelopeType.ENVELOPE_TYPE_TX.pack(packer)
    return packer.get_buffer()


_ENVELOPE_TYPE_TX = _envelope_type_tx()


@lru_cache(maxsize=8)
def _network_id(passphrase: str) -> bytes:
    return Network(passphrase).network_id()
