"""The pause switch holds payments; multi-signature accounts sign with exactly the weight needed."""

from __future__ import annotations

import pytest
from stellar_sdk import Keypair, Server, TransactionBuilder

from paycrypt.core.access import Actor, Role
from paycrypt.core.accounts import import_account
from paycrypt.core.control import engine_status, pause_payments, resume_payments
from paycrypt.core.errors import ConflictError, ValidationError
from paycrypt.core.payment_status import PaymentStatus
from paycrypt.core.payments.accept import SendPayment, send_payment
from paycrypt.core.payments.cosign import add_signature
from paycrypt.core.secrets import Secret

XLM = 10_000_000
S = PaymentStatus
ONCALL = Actor("oncall", Role.OPS)


def _get(bank, payment_id):
    with bank.engine.uow_factory() as uow:
        return uow.payments.get(payment_id)


def test_paused_payments_are_held_unsigned_and_go_out_after_resume(bank):
    bank.custodial("alice")
    bob = bank.outside("bob")
    before = bank.balance(bob.public_key)
    pause_payments(bank.engine.uow_factory, ONCALL, "incident 7")

    held = send_payment(bank.engine, SendPayment("alice", "bob", "5")).payment
    assert held.status is S.HELD
    assert bank.worker().run_once() == 0
    assert bank.worker().process_by_id(held.id).status is S.HELD
    assert _get(bank, held.id).envelope_xdr is None  # nothing was signed
    assert engine_status(bank.engine.uow_factory).held == 1

    resume_payments(bank.engine.uow_factory, ONCALL, "resolved")
    bank.worker().run_once()
    assert _get(bank, held.id).status is S.SUCCEEDED
    assert bank.balance(bob.public_key) == before + 5 * XLM


def _make_multisig(bank, account_id: str, cosigner: str, *, medium: int) -> None:
    """Adds ``cosigner`` (weight 1) and sets thresholds low 1, medium ``medium``, high 2."""
    server = Server(bank.sandbox.url)
    tx = (
        TransactionBuilder(server.load_account(account_id), bank.sandbox.passphrase, base_fee=100)
        .append_ed25519_public_key_signer(cosigner, 1)
        .append_set_options_op(low_threshold=1, med_threshold=medium, high_threshold=2)
        .set_timeout(30)
        .build()
    )
    with bank.engine.uow_factory() as uow:
        bank.engine.vault.sign(uow.signing_keys, tx, account_id)
    server.submit_transaction(tx)


def test_a_payment_waits_for_a_co_signer_then_goes_out(bank):
    alice = bank.custodial("alice")
    bob = bank.outside("bob")
    cosigner = Keypair.random()
    _make_multisig(bank, alice, cosigner.public_key, medium=2)
    before = bank.balance(bob.public_key)

    accepted = send_payment(bank.engine, SendPayment("alice", "bob", "3"))
    waiting = bank.worker().process_by_id(accepted.payment.id)
    assert waiting.status is S.AWAITING_SIGNATURES

    with pytest.raises(ValidationError) as stranger:
        add_signature(bank.engine, waiting.id, Keypair.random())
    assert stranger.value.code == "not_a_signer"

    signed = add_signature(bank.engine, waiting.id, cosigner)
    assert signed.status is S.SIGNED
    with pytest.raises(ConflictError):
        add_signature(bank.engine, waiting.id, cosigner)
    bank.worker().run_once()
    assert _get(bank, waiting.id).status is S.SUCCEEDED
    assert bank.balance(bob.public_key) == before + 3 * XLM


@pytest.mark.parametrize(("medium", "signatures"), [(1, 1), (2, 2)])
def test_with_every_key_held_it_signs_with_exactly_the_weight_needed(bank, medium, signatures):
    from stellar_sdk import TransactionEnvelope

    alice = bank.custodial("alice")
    bank.outside("bob")
    cosigner = Keypair.random()
    import_account(
        "alice-cosigner", Secret(cosigner.secret), uow=bank.engine.uow_factory(), vault=bank.engine.vault
    )
    _make_multisig(bank, alice, cosigner.public_key, medium=medium)

    payment = bank.worker().process_by_id(
        send_payment(bank.engine, SendPayment("alice", "bob", "1")).payment.id
    )
    assert payment.status is S.SUCCEEDED, payment.error_code  # an extra signature would be tx_bad_auth_extra
    envelope = TransactionEnvelope.from_xdr(payment.envelope_xdr, bank.sandbox.passphrase)
    assert len(envelope.signatures) == signatures


class PausedMidway:
    """Pauses payments right after the worker signed an envelope, as a concurrent operator would."""

    def __init__(self, bank):
        from paycrypt.core.payments.worker import PaymentWorker

        class Worker(PaymentWorker):
            def _prepare(self, payment):
                prepared = super()._prepare(payment)
                pause_payments(bank.engine.uow_factory, ONCALL, "pulled the switch mid-way")
                return prepared

        self.worker = Worker(bank.engine)


def test_a_pause_while_a_payment_is_being_signed_keeps_it_from_being_sent(bank):
    bank.custodial("alice")
    bob = bank.outside("bob")
    before = bank.balance(bob.public_key)
    payment = send_payment(bank.engine, SendPayment("alice", "bob", "2")).payment

    PausedMidway(bank).worker.run_once()
    held = _get(bank, payment.id)
    assert held.status is S.HELD and held.tx_hash is None
    assert bank.balance(bob.public_key) == before

    resume_payments(bank.engine.uow_factory, ONCALL, "go on")
    bank.worker().run_once()
    assert _get(bank, payment.id).status is S.SUCCEEDED
    assert bank.balance(bob.public_key) == before + 2 * XLM
