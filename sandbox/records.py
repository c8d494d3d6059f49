"""What the ledger remembers once a ledger has closed: ledgers, transactions and payment operations.

Paging tokens are Horizon's TOIDs: ledger << 32 | transaction order << 12 | operation order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from paycrypt.sandbox.accounts import CreditAsset
from paycrypt.sandbox.envelopes import Memo


def toid(ledger: int, transaction_order: int = 0, operation_order: int = 0) -> int:
    return (ledger << 32) | (transaction_order << 12) | operation_order


@dataclass(frozen=True, slots=True)
class LedgerRecord:
    sequence: int
    hash: str
    prev_hash: str
    closed_at: int  # unix seconds
    successful_transaction_count: int
    failed_transaction_count: int
    operation_count: int
    tx_set_operation_count: int
    base_fee: int
    base_reserve: int
    max_tx_set_size: int
    total_coins: int
    fee_pool: int

    @property
    def paging_token(self) -> int:
        return toid(self.sequence)


@dataclass(frozen=True, slots=True)
class TransactionRecord:
    hash: str
    ledger: int
    order: int  # 1-based position in its ledger
    closed_at: int
    successful: bool
    source_account: str
    source_account_sequence: int
    fee_charged: int
    max_fee: int
    operation_count: int
    envelope_xdr: str
    result_xdr: str
    result_codes: dict[str, object]
    memo: Memo
    signatures: tuple[str, ...]  # base64
    min_time: int
    max_time: int
    participants: tuple[str, ...] = field(default=())

    @property
    def paging_token(self) -> int:
        return toid(self.ledger, self.order)


@dataclass(frozen=True, slots=True)
class PaymentRecord:
    """A create_account, payment or account_merge operation of a successful transaction."""

    id: int
    kind: str  # create_account | payment | account_merge
    transaction_hash: str
    closed_at: int
    source_account: str
    from_account: str
    to_account: str
    amount: int
    asset: CreditAsset | None

    @property
    def paging_token(self) -> int:
        return self.id

    @property
    def type_i(self) -> int:
        return {"create_account": 0, "payment": 1, "account_merge": 8}[self.kind]
