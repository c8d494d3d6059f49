"""The long-running worker: many payments in flight at once, stopped cleanly."""

from __future__ import annotations

import threading
import time

import pytest

from paycrypt.core.payment_status import PaymentStatus
from paycrypt.core.payments.accept import SendPayment, send_payment
from paycrypt.core.payments.channels import ensure_channels

from .conftest import SUBMISSION_FAULTS

XLM = 10_000_000


def test_the_worker_loop_sends_many_payments_through_channels_then_stops(bank):
    bank.custodial("treasury")
    bob = bank.outside("bob")
    ensure_channels(bank.engine, funder="treasury", count=4)
    before = bank.balance(bob.public_key)
    ids = [send_payment(bank.engine, SendPayment("treasury", "bob", "1")).payment.id for _ in range(8)]

    assert _run_until_final(bank, ids) == {PaymentStatus.SUCCEEDED}  # and the loop stopped
    assert bank.balance(bob.public_key) == before + 8 * XLM


def _run_until_final(bank, ids: list[str], *, seconds: float = 60) -> set[PaymentStatus]:
    stop = threading.Event()
    loop = threading.Thread(target=bank.worker().run_forever, args=(stop,), kwargs={"concurrency": 4})
    loop.start()
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            with bank.engine.uow_factory() as uow:
                statuses = {uow.payments.get(i).status for i in ids}
            if all(s.is_terminal for s in statuses):
                break
            time.sleep(0.2)
    finally:
        stop.set()
        loop.join(timeout=30)
    assert not loop.is_alive()
    return statuses


@pytest.mark.parametrize(
    "fault",
    SUBMISSION_FAULTS,
)
def test_a_fault_on_the_loops_first_post_is_retried_and_pays_once(bank, fault):
    # The loop posts first from its event loop; after a fault the synchronous path takes over.
    bank.custodial("treasury")
    bob = bank.outside("bob")
    ensure_channels(bank.engine, funder="treasury", count=2)
    before = bank.balance(bob.public_key)
    ids = [send_payment(bank.engine, SendPayment("treasury", "bob", "3")).payment.id for _ in range(2)]
    injected = bank.sandbox.faults.injected
    bank.sandbox.faults.add(fault, count=3)

    assert _run_until_final(bank, ids) == {PaymentStatus.SUCCEEDED}
    assert bank.balance(bob.public_key) == before + 2 * 3 * XLM
    assert bank.sandbox.faults.injected - injected == 3 and bank.sandbox.faults.pending() == []
