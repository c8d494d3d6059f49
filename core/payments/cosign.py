"""Co-signing: another signer of the source account adds a signature to a payment waiting for it."""

from __future__ import annotations

from collections.abc import Callable

from stellar_sdk import DecoratedSignature, Keypair, TransactionEnvelope
from stellar_sdk.exceptions import BadSignatureError, Ed25519PublicKeyInvalidError

from paycrypt.core.errors import ConflictError, NotFoundError, ValidationError
from paycrypt.core.payment_status import PaymentStatus
from paycrypt.core.payments.engine import PaymentEngine
from paycrypt.core.payments.model import Payment
from paycrypt.core.payments.signing import needed_weight


def add_signature(engine: PaymentEngine, payment_id: str, signer: Keypair) -> Payment:
    """Adds ``signer``'s signature when it is one of the source account's signers and still needed.

    With enough weight the payment becomes ``signed`` and the worker submits it (unless paused)."""
    return _cosign(
        engine, payment_id, signer.public_key, lambda envelope: envelope.sign(signer), signer_field="secret"
    )


def add_detached_signature(
    engine: PaymentEngine, payment_id: str, public_key: str, signature: bytes
) -> Payment:
    """Adds a signature the co-signer made elsewhere over the envelope's hash (their seed never comes here).

    The signature must verify against ``public_key`` and the transaction hash, or nothing changes."""
    try:
        keypair = Keypair.from_public_key(public_key)
    except (Ed25519PublicKeyInvalidError, ValueError):
        raise ValidationError(
            "public_key: not a valid Stellar account (G...)", code="destination_invalid", field="public_key"
        ) from None

    def attach(envelope: TransactionEnvelope) -> None:
        try:
            keypair.verify(envelope.hash(), signature)
        except BadSignatureError:
            raise ValidationError(
                "the signature does not verify against this payment's transaction hash and public_key",
                code="signature_invalid",
                field="signature",
            ) from None
        envelope.signatures.append(DecoratedSignature(keypair.signature_hint(), signature))

    return _cosign(engine, payment_id, keypair.public_key, attach, signer_field="public_key")


def _cosign(
    engine: PaymentEngine,
    payment_id: str,
    public_key: str,
    attach: Callable[[TransactionEnvelope], None],
    *,
    signer_field: str,
) -> Payment:
    with engine.uow_factory() as uow:
        payment = uow.payments.get(payment_id)
    if payment is None:
        raise NotFoundError(f"no payment {payment_id}", code="payment_not_found")
    if payment.status is not PaymentStatus.AWAITING_SIGNATURES or payment.envelope_xdr is None:
        raise ConflictError(
            f"payment {payment_id} is {payment.status.value}, not awaiting signatures",
            code="not_awaiting_signatures",
        )
    # The account's signers are read from the ledger, outside any database transaction.
    account = engine.horizon.load_account(payment.source_account)
    weights = {s.key: s.weight for s in account.signers if s.weight > 0}
    if public_key not in weights:
        raise ValidationError(
            f"{public_key} is not a signer of {payment.source_account}",
            code="not_a_signer",
            field=signer_field,
        )
    envelope = TransactionEnvelope.from_xdr(payment.envelope_xdr, engine.policy.network_passphrase)
    signed_by = {key for key in weights if _has_signed(key, envelope)}
    if public_key in signed_by:
        raise ConflictError("this signer has already signed the payment", code="already_signed")
    attach(envelope)
    weight = sum(weights[k] for k in signed_by | {public_key})
    needed = max(needed_weight(account, threshold="low"), needed_weight(account, threshold="medium"))
    complete = weight >= needed
    with engine.uow_factory() as uow:
        moved = uow.payments.move(
            payment_id,
            PaymentStatus.SIGNED if complete else PaymentStatus.AWAITING_SIGNATURES,
            expected=(PaymentStatus.AWAITING_SIGNATURES,),
            detail={"signer": public_key, "signed_weight": weight, "needed_weight": needed},
            envelope_xdr=envelope.to_xdr(),
            lease_owner_reset=True,
        )
        if not moved:
            raise ConflictError(f"payment {payment_id} changed meanwhile; try again", code="payment_changed")
        uow.commit()
        updated = uow.payments.get(payment_id)
    assert updated is not None
    return updated


def _has_signed(public_key: str, envelope: TransactionEnvelope) -> bool:
    """True when one of the envelope's signatures verifies against ``public_key``."""
    keypair = Keypair.from_public_key(public_key)
    tx_hash = envelope.hash()
    for decorated in envelope.signatures:
        if decorated.signature_hint != keypair.signature_hint():
            continue
        try:
            keypair.verify(tx_hash, decorated.signature)
        except BadSignatureError:
            continue
        return True
    return False
