"""A tag's payment history (sent and received): filters, cursor paging, CSV export."""

from __future__ import annotations

import base64
import csv
import functools
import io
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Column, ColumnElement, Integer, Select, bindparam, select, tuple_, union_all

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
    tag = checked_tag(query)
    statement, parameters = page_statement(tuple(t.c), *shape(query)), page_parameters(tag, query)
    with uow_factory() as uow:
        rows = uow.connection.execute(statement, parameters).all()
    payments = [to_payment(row._mapping) for row in rows]
    next_cursor = _cursor(payments[query.limit - 1]) if len(payments) > query.limit else None
    return HistoryPage(tag=tag, payments=payments[: query.limit], next_cursor=next_cursor)


def checked_tag(query: HistoryQuery) -> str:
    """The query's tag, normalised; the tag and the page size checked."""
    tag = Tag.parse(query.tag).value
    if not 1 <= query.limit <= MAX_PAGE:
        raise ValidationError(f"limit must be between 1 and {MAX_PAGE}", code="limit_invalid", field="limit")
    return tag


def shape(query: HistoryQuery) -> tuple[bool, bool, bool, bool]:
    """Which filters the query uses: one statement is built for each combination."""
    return bool(query.statuses), query.since is not None, query.until is not None, query.cursor is not None


def page_parameters(tag: str, query: HistoryQuery) -> dict[str, Any]:
    """The values of page_statement's parameters for this query: ``fetch`` is one more than a page."""
    values: dict[str, Any] = {"tag": tag, "fetch": query.limit + 1}
    if query.statuses:
        values["statuses"] = [s.value for s in query.statuses]
    if query.since is not None:
        values["since"] = query.since
    if query.until is not None:
        values["until"] = query.until
    if query.cursor is not None:
        values["cursor_at"], values["cursor_id"] = _read_cursor(query.cursor)
    return values


@functools.cache
def page_statement(
    columns: tuple[Column[Any], ...], statuses: bool, since: bool, until: bool, cursor: bool
) -> Select[Any]:
    """``columns`` of one page plus one row (to know whether another page follows), newest first, by
    (created_at, id); ``columns`` must include those two.

    Each side (sent, received) reads its own index newest first and stops after a page; the two are
    merged and cut to a page. Built once for each shape, with every value a parameter: building it costs
    more than running it."""
    at = t.c.created_at
    conditions: list[ColumnElement[bool]] = []
    if statuses:
        conditions.append(t.c.status.in_(bindparam("statuses", expanding=True)))
    if since:
        conditions.append(at >= bindparam("since", type_=at.type))
    if until:
        conditions.append(at < bindparam("until", type_=at.type))
    if cursor:
        after = tuple_(bindparam("cursor_at", type_=at.type), bindparam("cursor_id", type_=t.c.id.type))
        conditions.append(tuple_(at, t.c.id) < after)
    fetch = bindparam("fetch", type_=Integer)
    sides = [
        select(*columns)
        .where(column == bindparam("tag", type_=column.type), *conditions)
        .order_by(at.desc(), t.c.id.desc())
        .limit(fetch)
        for column in (t.c.source_tag, t.c.destination_tag)
    ]
    merged = union_all(*(side.subquery().select() for side in sides)).subquery()
    return select(merged).order_by(merged.c.created_at.desc(), merged.c.id.desc()).limit(fetch)


def _cursor(payment: Payment) -> str:
    return encode_cursor(payment.created_at, payment.id)


def encode_cursor(created_at: datetime, payment_id: str) -> str:
    raw = json.dumps([created_at.isoformat(), payment_id]).encode()
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


__all__ = [
    "HistoryPage",
    "HistoryQuery",
    "all_pages",
    "history_csv",
    "payment_history",
]
