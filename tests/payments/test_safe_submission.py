"""Never paying twice: every fault the sandbox can inject, and a worker killed mid-way."""

from __future__ import annotations

from datetime import timedelta

import pytest

from paycrypt.core.payment_status import PaymentStatus
from paycrypt.core.payments.accept import SendPayment, send_payment
from paycrypt.core.payments.model import Payment
from paycrypt.core.payments.submission import Outcome
from paycrypt.core.payments.worker import PaymentWorker
from paycrypt.sandbox.testing import FaultKind

from .conftest import SUBMISSION_FAULTS

XLM = 10_000_000
S = PaymentStatus


def _hashes_on_ledger(bank, account_id: str) -> int:
    """How many payments reached the account on the ledger, read through Horizon's payments endpoint."""
    from stellar_sdk import Server

    records = (
        Server(bank.sandbox.url).payments().for_account(account_id).limit(200).call()["_embedded"]["records"]
    )
    return sum(1 for r in records if r["type"] == "payment" and r["to"] == account_id)


@pytest.mark.parametrize(
    "fault",
    SUBMISSION_FAULTS,
)
def test_each_fault_ends_with_the_payment_on_the_ledger_exactly_once(bank, fault):
    bank.custodial("alice")
    bob = bank.outside("bob")
    before = bank.balance(bob.public_key)
    accepted = send_payment(bank.engine, SendPayment("alice", "bob", "7", idempotency_key=f"fault-{fault}"))
    # More faults than the sdk's own three resubmissions, so the engine's retries are exercised too.
    bank.sandbox.faults.add(fault, count=5)

    payment = bank.worker().process_by_id(accepted.payment.id)
    for _ in range(20):
        if payment.status.is_terminal:
            break
        bank.worker(lease_seconds=0.5).run_once()
        payment = _get(bank, payment.id)

    assert payment.status is S.SUCCEEDED, (payment.status, payment.error_code)
    assert bank.balance(bob.public_key) == before + 7 * XLM
    assert _hashes_on_ledger(bank, bob.public_key) == 1


def _get(bank, payment_id: str) -> Payment:
    with bank.engine.uow_factory() as uow:
        payment = uow.payments.get(payment_id)
    assert payment is not None
    return payment


class KilledAfterStoring(PaymentWorker):
    """A worker that dies right after storing the signed envelope, before any POST."""

    def _submit(self, payment: Payment) -> Outcome:
        raise SystemExit("killed between signing and submitting")


class KilledAfterPosting(PaymentWorker):
    """A worker that dies after Horizon took the envelope, before it records the answer."""

    def _submit(self, payment: Payment) -> Outcome:
        super()._submit(payment)
        raise SystemExit("killed before recording")


@pytest.mark.parametrize("killer", [KilledAfterStoring, KilledAfterPosting])
def test_a_worker_killed_mid_payment_is_recovered_by_another_without_paying_twice(bank, killer):
    bank.custodial("alice")
    bob = bank.outside("bob")
    before = bank.balance(bob.public_key)
    accepted = send_payment(bank.engine, SendPayment("alice", "bob", "4"))

    with pytest.raises(SystemExit):
        killer(bank.engine, lease_seconds=1.5).run_once()
    stuck = _get(bank, accepted.payment.id)
    assert stuck.status is S.SUBMITTED and stuck.envelope_xdr and stuck.tx_hash

    survivor = bank.worker(lease_seconds=5)
    assert survivor.run_once() == 0  # the dead worker's lease still holds
    bank.engine.sleep(1.6)
    survivor.run_once()
    payment = _get(bank, accepted.payment.id)
    assert payment.status is S.SUCCEEDED
    assert payment.tx_hash == stuck.tx_hash  # the same envelope, never a second one
    assert bank.balance(bob.public_key) == before + 4 * XLM


def test_an_envelope_that_provably_never_landed_is_rebuilt_once_dead(bank):
    bank.custodial("alice")
    bob = bank.outside("bob")
    before = bank.balance(bob.public_key)
    short = bank.with_policy(tx_timeout_seconds=1)
    accepted = send_payment(short.engine, SendPayment("alice", "bob", "2"))
    # The first envelope is lost (never applied) and its worker dies; once the ledger has closed past
    # its max time, the payment is rebuilt with a new envelope and paid once.
    bank.sandbox.faults.add(FaultKind.TIMEOUT_BEFORE_APPLY, count=4)
    with pytest.raises(SystemExit):
        KilledAfterPosting(short.engine, lease_seconds=0.2).run_once()
    first = _get(bank, accepted.payment.id)
    bank.engine.sleep(2.5)
    worker = short.worker(lease_seconds=5)
    for _ in range(5):
        worker.run_once()
        payment = _get(bank, accepted.payment.id)
        if payment.status.is_terminal:
            break
    assert payment.status is S.SUCCEEDED
    assert payment.tx_hash != first.tx_hash and payment.attempts == 2
    assert bank.balance(bob.public_key) == before + 2 * XLM
    with bank.engine.uow_factory() as uow:
        statuses = [e.status for e in uow.payments.events(payment.id)]
    assert statuses.count(S.SUBMITTED) == 2 and statuses[-1] is S.SUCCEEDED


def test_a_lease_that_expired_lets_exactly_one_other_worker_take_the_payment(bank):
    bank.custodial("alice")
    bank.outside("bob")
    accepted = send_payment(bank.engine, SendPayment("alice", "bob", "1"))
    with bank.engine.uow_factory() as uow:
        first = uow.payments.claim("w1", [S.RECEIVED], lease=timedelta(seconds=30), limit=10)
        second = uow.payments.claim("w2", [S.RECEIVED], lease=timedelta(seconds=30), limit=10)
        uow.commit()
    assert [p.id for p in first] == [accepted.payment.id] and second == []
