"""A payment as the engine keeps it: plain data read from and written to the transactions table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from paycrypt.core.payment_status import PaymentStatus
from paycrypt.core.values import Asset, Memo, format_stroops


@dataclass(frozen=True)
class Payment:
    id: str
    idempotency_key: str
    status: PaymentStatus
    operation: str  # "payment", or "create_account" when the amount creates the destination
    source_tag: str | None
    source_account: str
    destination: str  # what the requester typed
    destination_tag: str | None
    destination_account: str
    asset: Asset
    amount_stroops: int
    memo: Memo
    fee_stroops: int | None
    tx_hash: str | None
    envelope_xdr: str | None
    ledger: int | None
    result_codes: dict[str, Any] | None
    error_code: str | None
    error_message: str | None
    request_hash: str
    limit_day: str | None
    attempts: int
    max_time: datetime | None
    channel_account: str | None
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    completed_at: datetime | None

    @property
    def amount(self) -> str:
        return format_stroops(self.amount_stroops)

    def to_dict(self) -> dict[str, Any]:
        """The public view: no envelope signatures' secrets exist here, but the XDR stays internal too."""
        return {
            "id": self.id,
            "idempotency_key": self.idempotency_key,
            "status": self.status.value,
            "operation": self.operation,
            "from": self.source_tag,
            "source_account": self.source_account,
            "to": self.destination,
            "destination_tag": self.destination_tag,
            "destination_account": self.destination_account,
            "asset": str(self.asset),
            "amount": self.amount,
            "memo_type": self.memo.stored_type,
            "memo": self.memo.value,
            "fee": format_stroops(self.fee_stroops) if self.fee_stroops is not None else None,
            "hash": self.tx_hash,
            "ledger": self.ledger,
            "result_codes": self.result_codes,
            "error": {"code": self.error_code, "message": self.error_message} if self.error_code else None,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "submitted_at": self.submitted_at.isoformat() if self.submitted_at else None,
            "completed_at": self.completed_at.isoformat() if self.completed_at else None,
        }


@dataclass(frozen=True)
class PaymentEvent:
    status: PaymentStatus
    at: datetime
    detail: dict[str, Any] | None
