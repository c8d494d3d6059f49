"""Prometheus metrics of the payment engine (exposed by the API's /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

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
