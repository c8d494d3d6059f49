"""The states a payment moves through, each stored with its time."""

from __future__ import annotations

from enum import StrEnum


class PaymentStatus(StrEnum):
    RECEIVED = "received"
    HELD = "held"  # accepted while payments are paused; nothing signed or sent
    AWAITING_SIGNATURES = "awaiting_signatures"  # stored keys are not enough; co-signers must add theirs
    SIGNED = "signed"
    SUBMITTED = "submitted"  # sent to Horizon; outcome not yet known
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    EXPIRED = "expired"  # time bounds passed and the ledger never saw it: provably not sent

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL


TERMINAL = frozenset({PaymentStatus.SUCCEEDED, PaymentStatus.FAILED, PaymentStatus.EXPIRED})
