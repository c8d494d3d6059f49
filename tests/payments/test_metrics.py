"""The engine's Prometheus metrics: outcomes counted, latency observed, waiting payments gauged."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest

from paycrypt.core.access import Actor, Role
from paycrypt.core.control import pause_payments
from paycrypt.core.payments.accept import SendPayment, send_payment
from paycrypt.core.payments.metrics import PaymentGauges


def _sample(name: str, **labels: str) -> float:
    from prometheus_client import REGISTRY

    value = REGISTRY.get_sample_value(name, labels)
    return value or 0.0


def test_a_successful_payment_is_counted_and_its_latency_observed(bank):
    bank.custodial("alice")
    bank.outside("bob")
    succeeded = _sample("paycrypt_payments_total", outcome="succeeded")
    observed = _sample("paycrypt_payment_submission_seconds_count")
    payment = send_payment(bank.engine, SendPayment("alice", "bob", "1")).payment
    bank.worker().process_by_id(payment.id)
    assert _sample("paycrypt_payments_total", outcome="succeeded") == succeeded + 1
    assert _sample("paycrypt_payment_submission_seconds_count") == observed + 1


def test_gauges_show_held_payments_and_the_pause_switch(bank):
    bank.custodial("alice")
    bank.outside("bob")
    pause_payments(bank.engine.uow_factory, Actor("oncall", Role.OPS), "drill")
    send_payment(bank.engine, SendPayment("alice", "bob", "1"))
    registry = CollectorRegistry()
    registry.register(PaymentGauges(bank.engine.uow_factory))
    text = generate_latest(registry).decode()
    assert 'paycrypt_payments_waiting{state="held"} 1.0' in text
    assert "paycrypt_payments_paused 1.0" in text


def test_a_transient_horizon_error_is_counted_by_code_with_its_retry(bank):
    from paycrypt.sandbox.testing import FaultKind

    bank.custodial("alice")
    bank.outside("bob")
    errors = _sample("paycrypt_horizon_errors_total", code="horizon_unavailable")
    retries = _sample("paycrypt_submission_retries_total", code="horizon_unavailable")
    payment = send_payment(bank.engine, SendPayment("alice", "bob", "1")).payment
    bank.sandbox.faults.add(FaultKind.UNAVAILABLE, count=2)
    assert bank.worker().process_by_id(payment.id).status.value == "succeeded"
    # Submissions have no hidden client-side retries: the engine sees, counts and retries each 503.
    assert _sample("paycrypt_horizon_errors_total", code="horizon_unavailable") == errors + 2
    assert _sample("paycrypt_submission_retries_total", code="horizon_unavailable") == retries + 2
