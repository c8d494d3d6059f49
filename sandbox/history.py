"""Closed ledgers, applied transactions and payments, indexed for Horizon's paged endpoints."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from paycrypt.sandbox.records import LedgerRecord, PaymentRecord, TransactionRecord


class HasPagingToken(Protocol):
    @property
    def paging_token(self) -> int: ...


R = TypeVar("R", bound=HasPagingToken)


@dataclass(frozen=True, slots=True)
class PageQuery:
    cursor: int | None = None
    limit: int = 10
    descending: bool = False


def page(records: Sequence[R], query: PageQuery, keep: Callable[[R], bool] | None = None) -> list[R]:
    """Records after (or, descending, before) the cursor, at most `limit`, in the asked order."""
    return list(_walk(records, query, keep))


def _walk(records: Sequence[R], query: PageQuery, keep: Callable[[R], bool] | None) -> Iterator[R]:
    count = 0
    if query.descending:
        end = len(records) if query.cursor is None else bisect.bisect_left(records, query.cursor, key=_token)
        indexes: range = range(end - 1, -1, -1)
    else:
        start = 0 if query.cursor is None else bisect.bisect_right(records, query.cursor, key=_token)
        indexes = range(start, len(records))
    for index in indexes:
        if count >= query.limit:
            return
        record = records[index]
        if keep is None or keep(record):
            count += 1
            yield record


def _token(record: HasPagingToken) -> int:
    return record.paging_token


class History:
    def __init__(self) -> None:
        self.ledgers: list[LedgerRecord] = []
        self.transactions: dict[str, TransactionRecord] = {}
        self.all_transactions: list[TransactionRecord] = []
        self.all_payments: list[PaymentRecord] = []
        self._transactions_by_account: dict[str, list[TransactionRecord]] = {}
        self._payments_by_account: dict[str, list[PaymentRecord]] = {}

    @property
    def latest(self) -> LedgerRecord:
        return self.ledgers[-1]

    def record(
        self,
        ledger: LedgerRecord,
        transactions: Sequence[TransactionRecord],
        payments: Sequence[PaymentRecord],
    ) -> None:
        self.ledgers.append(ledger)
        for tx in transactions:
            self.transactions[tx.hash] = tx
            self.all_transactions.append(tx)
            for account in tx.participants:
                self._transactions_by_account.setdefault(account, []).append(tx)
        for payment in payments:
            self.all_payments.append(payment)
            for account in {payment.from_account, payment.to_account, payment.source_account}:
                self._payments_by_account.setdefault(account, []).append(payment)

    def ledger(self, sequence: int) -> LedgerRecord | None:
        index = sequence - self.ledgers[0].sequence
        return self.ledgers[index] if 0 <= index < len(self.ledgers) else None

    def transactions_of(self, account_id: str) -> list[TransactionRecord]:
        return self._transactions_by_account.get(account_id, [])

    def payments_of(self, account_id: str) -> list[PaymentRecord]:
        return self._payments_by_account.get(account_id, [])

    def recent_ledgers(self, count: int) -> list[LedgerRecord]:
        return self.ledgers[-count:]

    def transactions_in(self, ledgers: Sequence[LedgerRecord]) -> list[TransactionRecord]:
        if not ledgers:
            return []
        first = bisect.bisect_left(self.all_transactions, ledgers[0].sequence, key=lambda tx: tx.ledger)
        return self.all_transactions[first:]
