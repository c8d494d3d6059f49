"""tx_insufficient_fee: the envelope was never applied, so a new one is built with a higher bid."""

from __future__ import annotations

from dataclasses import replace

from stellar_sdk import TransactionEnvelope

from paycrypt.core.horizon import HorizonError, TransactionResult
from paycrypt.core.horizon_sdk import SdkHorizon
from paycrypt.core.payment_status import PaymentStatus
from paycrypt.core.payments.accept import SendPayment, send_payment
from paycrypt.core.payments.model import Payment
from paycrypt.core.payments.worker import PaymentWorker


class SurgingHorizon(SdkHorizon):
    """The real adapter, except that the network refuses the first ``refusals`` bids as too low."""

    def __init__(self, *args, refusals: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.refusals = refusals
        self.bids: list[int] = []

    def submit(self, envelope_xdr: str) -> TransactionResult:
        assert self._passphrase is not None
        envelope = TransactionEnvelope.from_xdr(envelope_xdr, self._passphrase)
        self.bids.append(envelope.transaction.fee)
        if self.refusals > 0:
            self.refusals -= 1
            raise HorizonError(
                "transaction failed",
                code="horizon_bad_request",
                status=400,
                result_codes={"transaction": "tx_insufficient_fee"},
            )
        return super().submit(envelope_xdr)


def _engine_with(bank, refusals: int, cap: int):
    horizon = SurgingHorizon(bank.sandbox.url, network_passphrase=bank.sandbox.passphrase, refusals=refusals)
    policy = replace(bank.engine.policy, max_fee_per_operation=cap)
    return replace(bank.engine, horizon=horizon, policy=policy), horizon


def _pay_and_settle(engine) -> Payment:
    payment = send_payment(engine, SendPayment("alice", "bob", "1")).payment
    worker = PaymentWorker(engine)
    for _ in range(4):
        worker.run_once()
    with engine.uow_factory() as uow:
        done = uow.payments.get(payment.id)
    assert done is not None
    return done


def test_a_refused_bid_is_raised_and_the_payment_lands_once(bank):
    bank.custodial("alice")
    bob = bank.outside("bob")
    before = bank.balance(bob.public_key)
    engine, horizon = _engine_with(bank, refusals=2, cap=10_000)
    done = _pay_and_settle(engine)
    assert done.status is PaymentStatus.SUCCEEDED
    assert horizon.bids == [100, 200, 400]
    assert bank.balance(bob.public_key) == before + 10_000_000


def test_past_the_fee_cap_the_payment_fails_with_a_clear_code(bank):
    bank.custodial("alice")
    bank.outside("bob")
    engine, horizon = _engine_with(bank, refusals=10, cap=200)
    done = _pay_and_settle(engine)
    assert done.status is PaymentStatus.FAILED and done.error_code == "fee_cap_reached"
    assert horizon.bids == [100, 200]
