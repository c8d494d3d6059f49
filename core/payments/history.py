"""A tag's payment history (sent and received): filters, cursor paging, CSV export."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, select, tuple_, union_all

from paycrypt.core.errors import ValidationError
from paycrypt.core.payment_status import PaymentStatus
from paycrypt.core.payments.model import Payment
from paycrypt.core.payments.repository import to_payment
from paycrypt.core.storage.tables import transactions as t
from paycrypt.core.storage.unit_of_work import UnitOfWork
from paycrypt.core.values import Tag

MAX_PAGE = 200
_PAYMENT_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.ASCII)
CSV_COLUMNS = (
    "id", "created_at", "status", "direction", "from", "to", "destination_account",
    "asset", "amount", "fee", "memo_type", "memo", "hash", "ledger", "error_code", "completed_at",
)  # fmt: skip


@dataclass(frozen=True)
class HistoryQuery:
    tag: str
    statuses: tuple[PaymentStatus, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 50
    cursor: str | None = None


@dataclass(frozen=True)
class HistoryPage:
    tag: str
    payments: list[Payment]
    next_cursor: str | None

    def direction(self, payment: Payment) -> str:
        return "sent" if payment.source_tag == self.tag else "received"


def payment_history(uow_factory: Callable[[], UnitOfWork], query: HistoryQuery) -> HistoryPage:
    """Newest first. Each side (sent, received) reads its own index, then the two are merged."""
    tag = Tag.parse(query.tag).value
    if not 1 <= query.limit <= MAX_PAGE:
        raise ValidationError(f"limit must be between 1 and {MAX_PAGE}", code="limit_invalid", field="limit")
    conditions: list[ColumnElement[bool]] = []
    if query.statuses:
        conditions.append(t.c.status.in_([s.value for s in query.statuses]))
    if query.since is not None:
        conditions.append(t.c.created_at >= query.since)
    if query.until is not None:
        conditions.append(t.c.created_at < query.until)
    if query.cursor is not None:
        at, payment_id = _read_cursor(query.cursor)
        conditions.append(tuple_(t.c.created_at, t.c.id) < tuple_(at, payment_id))
    fetch = query.limit + 1
    sides = [
        select(t.c.id, t.c.created_at)
        .where(column == tag, *conditions)
        .order_by(t.c.created_at.desc(), t.c.id.desc())
        .limit(fetch)
        for column in (t.c.source_tag, t.c.destination_tag)
    ]
    merged = union_all(*(side.subquery().select() for side in sides)).subquery()
    page_ids = select(merged.c.id).order_by(merged.c.created_at.desc(), merged.c.id.desc()).limit(fetch)
    with uow_factory() as uow:
        rows = uow.connection.execute(
            select(t).where(t.c.id.in_(page_ids)).order_by(t.c.created_at.desc(), t.c.id.desc())
        ).all()
    payments = [to_payment(row._mapping) for row in rows]
    next_cursor = _cursor(payments[query.limit - 1]) if len(payments) > query.limit else None
    return HistoryPage(tag=tag, payments=payments[: query.limit], next_cursor=next_cursor)


def _cursor(payment: Payment) -> str:
    raw = json.dumps([payment.created_at.isoformat(), payment.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _read_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        at, payment_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        when = datetime.fromisoformat(at)
        # Anything else would reach the database: a naive time or a strange id must not become a 500.
        if when.tzinfo is None or not isinstance(payment_id, str) or not _PAYMENT_ID.fullmatch(payment_id):
            raise ValueError("not a cursor")
        return when, payment_id
    except (ValueError, TypeError):
        raise ValidationError(
            "the cursor is not one this service gave out", code="cursor_invalid", field="cursor"
        ) from None


def history_csv(pages: Iterable[HistoryPage]) -> str:
    """The pages as CSV, one row per payment, amounts as Horizon writes them (7 decimals)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for page in pages:
        for p in page.payments:
            body = p.to_dict()
            writer.writerow(
                [
                    p.id, body["created_at"], p.status.value, page.direction(p), p.source_tag or "",
                    _safe_cell(p.destination), p.destination_account, body["asset"], p.amount,
                    body["fee"] or "", body["memo_type"] or "", _safe_cell(body["memo"] or ""),
                    p.tx_hash or "", p.ledger or "", p.error_code or "", body["completed_at"] or "",
                ]
            )  # fmt: skip
    return out.getvalue()


def _safe_cell(value: str) -> str:
    """Keeps a spreadsheet from running a memo as a formula (CSV injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def all_pages(uow_factory: Callable[[], UnitOfWork], query: HistoryQuery) -> Iterable[HistoryPage]:
    page = payment_history(uow_factory, query)
    yield page
    while page.next_cursor is not None:
        page = payment_history(uow_factory, HistoryQuery(**{**query.__dict__, "cursor": page.next_cursor}))
        yield page


__all__ = ["HistoryPage", "HistoryQuery", "all_pages", "history_csv", "payment_history"]
