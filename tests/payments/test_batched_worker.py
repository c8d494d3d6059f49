"""The worker's batch path: new payments through channels are signed, stored and recorded in batches, and
every way a batch can go wrong still ends with each payment paid at most once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from paycrypt.core.access import Actor, Role
from paycrypt.core.control import pause_payments, resume_payments
from paycrypt.core.payment_status import PaymentStatus
from paycrypt.core.payments.accept import SendPayment, send_payment
from paycrypt.core.payments.channels import ensure_channels
from paycrypt.core.payments.model import Payment
from paycrypt.core.payments.submission import Outcome
from paycrypt.core.payments.worker import PaymentWorker

XLM = 10_000_000
S = PaymentStatus
ONCALL = Actor("oncall", Role.OPS)


def _get(bank, payment_id: str) -> Payment:
    with bank.engine.uow_factory() as uow:
        payment = uow.payments.get(payment_id)
    assert payment is not None
    return payment


def _events(bank, payment_id: str) -> list[S]:
    with bank.engine.uow_factory() as uow:
        return [e.status for e in uow.payments.events(payment_id)]


def test_a_batch_through_channels_is_recorded_with_every_state_and_frees_its_channels(bank):
    bank.custodial("treasury")
    bob = bank.outside("bob")
    ensure_channels(bank.engine, funder="treasury", count=3)
    before = bank.balance(bob.public_key)
    ids = [send_payment(bank.engine, SendPayment("treasury", "bob", "1")).payment.id for _ in range(3)]

    assert bank.worker().run_once() == 3
    done = [_get(bank, i) for i in ids]
    assert [p.status for p in done] == [S.SUCCEEDED] * 3
    assert len({p.channel_account for p in done}) == 3  # one channel each, all in one batch
    assert all(p.ledger and p.completed_at and p.submitted_at for p in done)
    assert bank.balance(bob.public_key) == before + 3 * XLM
    for payment in done:
        assert _events(bank, payment.id) == [S.RECEIVED, S.SIGNED, S.SUBMITTED, S.SUCCEEDED]
        with bank.engine.uow_factory() as uow:
            events = uow.payments.events(payment.id)
        submitted = next(e for e in events if e.status is S.SUBMITTED)
        assert submitted.detail == {"hash": payment.tx_hash}  # the batch's events keep their detail
        assert all(e.at.utcoffset() is not None and e.at.utcoffset().total_seconds() == 0 for e in events)
        assert [e.at for e in events] == sorted(e.at for e in events)
    with bank.engine.uow_factory() as uow:
        assert uow.channels.leased() == 0
        # each channel remembers the sequence its envelope used, so the next batch needs no Horizon read
        sequences = {p.channel_account: uow.channels.lease_many([p.id], p.max_time) for p in done[:1]}
    assert all(lease[next(iter(lease))][1] is not None for lease in sequences.values())


class KilledAfterStoring(PaymentWorker):
    def _submit(self, payment: Payment) -> Outcome:
        raise SystemExit("killed between storing and posting")


class KilledAfterPosting(PaymentWorker):
    def _submit(self, payment: Payment) -> Outcome:
        super()._submit(payment)
        raise SystemExit("killed before recording")


@pytest.mark.parametrize("killer", [KilledAfterStoring, KilledAfterPosting])
def test_a_worker_killed_mid_batch_is_recovered_without_paying_twice(bank, killer):
    bank.custodial("treasury")
    bob = bank.outside("bob")
    ensure_channels(bank.engine, funder="treasury", count=2)
    before = bank.balance(bob.public_key)
    ids = [send_payment(bank.engine, SendPayment("treasury", "bob", "3")).payment.id for _ in range(2)]

    with pytest.raises(SystemExit):
        killer(bank.engine, lease_seconds=1.0).run_once()
    stuck = {i: _get(bank, i) for i in ids}
    assert all(p.status is S.SUBMITTED and p.tx_hash and p.channel_account for p in stuck.values())

    bank.engine.sleep(1.1)
    survivor = bank.worker(lease_seconds=5)
    for _ in range(5):
        survivor.run_once()
        done = [_get(bank, i) for i in ids]
        if all(p.status.is_terminal for p in done):
            break
    assert [p.status for p in done] == [S.SUCCEEDED, S.SUCCEEDED]
    assert all(p.tx_hash == stuck[p.id].tx_hash for p in done)  # the stored envelopes, never new ones
    assert bank.balance(bob.public_key) == before + 6 * XLM
    with bank.engine.uow_factory() as uow:
        assert uow.channels.leased() == 0


def test_a_pause_while_a_batch_is_being_signed_holds_it_unsent_and_frees_its_channels(bank):
    bank.custodial("treasury")
    bob = bank.outside("bob")
    ensure_channels(bank.engine, funder="treasury", count=2)
    before = bank.balance(bob.public_key)
    ids = [send_payment(bank.engine, SendPayment("treasury", "bob", "2")).payment.id for _ in range(2)]

    class PausedMidway(PaymentWorker):
        def _prepare_batch(self, payments):
            prepared = super()._prepare_batch(payments)
            assert len(prepared[0]) == 2  # both were signed through channels
            pause_payments(bank.engine.uow_factory, ONCALL, "pulled the switch mid-batch")
            return prepared

    PausedMidway(bank.engine).run_once()
    held = [_get(bank, i) for i in ids]
    assert [p.status for p in held] == [S.HELD, S.HELD] and not any(p.tx_hash for p in held)
    assert bank.balance(bob.public_key) == before
    with bank.engine.uow_factory() as uow:
        assert uow.channels.leased() == 0

    resume_payments(bank.engine.uow_factory, ONCALL, "go on")
    bank.worker().run_once()
    assert [_get(bank, i).status for i in ids] == [S.SUCCEEDED, S.SUCCEEDED]
    assert bank.balance(bob.public_key) == before + 4 * XLM


def test_a_batch_with_one_payment_taken_by_someone_else_stores_the_rest_one_by_one(bank):
    bank.custodial("treasury")
    bob = bank.outside("bob")
    ensure_channels(bank.engine, funder="treasury", count=2)
    before = bank.balance(bob.public_key)
    kept, taken = (
        send_payment(bank.engine, SendPayment("treasury", "bob", "1")).payment.id for _ in range(2)
    )

    class Raced(PaymentWorker):
        def _prepare_batch(self, payments):
            prepared = super()._prepare_batch(payments)
            with bank.engine.uow_factory() as uow:  # an operator's action moves one payment meanwhile
                uow.payments.move(taken, S.FAILED, expected=None, error_code="cancelled")
                uow.commit()
            return prepared

    Raced(bank.engine).run_once()
    assert _get(bank, kept).status is S.SUCCEEDED
    lost = _get(bank, taken)
    assert lost.status is S.FAILED and lost.tx_hash is None  # its envelope was never stored nor sent
    assert _events(bank, taken) == [S.RECEIVED, S.FAILED]
    assert bank.balance(bob.public_key) == before + XLM
    with bank.engine.uow_factory() as uow:
        assert uow.channels.leased() == 0


def test_payments_the_batch_cannot_take_go_one_by_one(bank):
    """Without channels (or with more payments than channels) the one-by-one path sends them."""
    bank.custodial("treasury")
    bob = bank.outside("bob")
    ensure_channels(bank.engine, funder="treasury", count=1)
    before = bank.balance(bob.public_key)
    ids = [send_payment(bank.engine, SendPayment("treasury", "bob", "1")).payment.id for _ in range(2)]
    worker = bank.worker()
    for _ in range(5):
        worker.run_once()
        if all(_get(bank, i).status.is_terminal for i in ids):
            break
    done = [_get(bank, i) for i in ids]
    assert [p.status for p in done] == [S.SUCCEEDED, S.SUCCEEDED]
    assert bank.balance(bob.public_key) == before + 2 * XLM


def test_move_many_moves_all_or_none(bank):
    bank.custodial("alice")
    bank.outside("bob")
    ids = [send_payment(bank.engine, SendPayment("alice", "bob", "1")).payment.id for _ in range(2)]
    with bank.engine.uow_factory() as uow:
        uow.payments.claim("w1", [S.RECEIVED], lease=timedelta(seconds=30), limit=1, only_id=ids[0])
        uow.payments.claim("w2", [S.RECEIVED], lease=timedelta(seconds=30), limit=1, only_id=ids[1])
        rows = [{"id": i, "error_code": "x"} for i in ids]
        assert not uow.payments.move_many(S.FAILED, rows, expected=(S.RECEIVED,), lease_owner="w1")
        uow.commit()
    assert [_get(bank, i).status for i in ids] == [S.RECEIVED, S.RECEIVED]
    assert all(_events(bank, i) == [S.RECEIVED] for i in ids)
    with bank.engine.uow_factory() as uow:
        assert uow.payments.move_many(S.FAILED, rows[:1], expected=(S.RECEIVED,), lease_owner="w1")
        uow.commit()
    assert _get(bank, ids[0]).error_code == "x" and _events(bank, ids[0]) == [S.RECEIVED, S.FAILED]


def test_a_payment_that_cannot_be_signed_in_a_batch_frees_its_channel_and_goes_one_by_one(bank):
    bank.custodial("treasury")
    bob = bank.outside("bob")
    ensure_channels(bank.engine, funder="treasury", count=2)
    before = bank.balance(bob.public_key)
    payment_id = send_payment(bank.engine, SendPayment("treasury", "bob", "1")).payment.id

    class FlakyVault(PaymentWorker):
        failed = False

        def _prepare_batch(self, payments):
            prepared, others = super()._prepare_batch(payments)
            with bank.engine.uow_factory() as uow:
                self.leased_after_batch = uow.channels.leased()
            return prepared, others

        def _signer(self, account_id):
            if not self.failed:
                self.failed = True
                raise RuntimeError("the vault hiccupped")
            return super()._signer(account_id)

    worker = FlakyVault(bank.engine)
    worker.run_once()
    assert worker.failed and worker.leased_after_batch == 0  # the batch gave its channel back
    assert _get(bank, payment_id).status is S.SUCCEEDED  # then the one-by-one path sent it
    assert bank.balance(bob.public_key) == before + XLM
