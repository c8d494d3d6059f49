"""Prometheus metrics of the payment engine (exposed by the API's /metrics)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from paycrypt.core.errors import PayCryptError

if TYPE_CHECKING:
    from paycrypt.core.storage.unit_of_work import UnitOfWork

payments = Counter("paycrypt_payments_total", "Payments that reached a final state, by outcome", ["outcome"])
submission_latency = Histogram(
    "paycrypt_payment_submission_seconds",
    "From first submission to a final ledger answer",
    buckets=(0.5, 1, 2, 3, 5, 7.5, 10, 15, 30, 60, 120),
)
horizon_errors = Counter("paycrypt_horizon_errors_total", "Errors from Horizon, by code", ["code"])
retries = Counter(
    "paycrypt_submission_retries_total", "Resubmissions of the same envelope, by cause", ["code"]
)


class PaymentGauges(Collector):
    """Held and in-flight payments, read from the database at scrape time (right across replicas)."""

    def __init__(self, uow_factory: Callable[[], UnitOfWork]):
        self._uow_factory = uow_factory

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from paycrypt.core.control import engine_status  # imported late: control imports this package

        try:
            status = engine_status(self._uow_factory)
        except PayCryptError:
            return  # a scrape must not fail because the database is down; the health check says so
        gauge = GaugeMetricFamily(
            "paycrypt_payments_waiting", "Payments not yet final, by state", labels=["state"]
        )
        gauge.add_metric(["held"], status.held)
        gauge.add_metric(["awaiting_signatures"], status.awaiting_signatures)
        gauge.add_metric(["in_flight"], status.submitted_unconfirmed)
        gauge.add_metric(["unknown"], status.unknown)
        yield gauge
        yield GaugeMetricFamily(
            "paycrypt_payments_paused", "1 while payments are paused", value=int(status.pause.paused)
        )
