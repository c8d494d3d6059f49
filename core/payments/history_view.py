"""A page of history as its client sees it: one JSON document, read by one statement outside a transaction.

`history_view_read(query, dialect)` gives the statement to run on a RowReader and turns what it returns
into the document ``{"tag", "payments", "next_cursor"}``, each payment in its public view (the fields and
order of Payment.to_dict, the idempotency key as its client sent it).

On PostgreSQL the database writes the document's payments itself: each row's public view by row_to_json,
joined in page order by string_agg, in the statement that finds the page. The reader then receives one
row of four values instead of a page of rows with two dozen columns each, and nothing is converted and
serialised again value by value: that conversion cost the API more CPU than everything else it did for
a page (`python -m bench api`). Elsewhere (SQLite) the rows are read and the document built here. Both
give the same JSON values (tests/payments/test_history_view.py).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Select, TextClause, text

from paycrypt.core.payments.client_keys import unscoped_key
from paycrypt.core.payments.history import (
    HistoryQuery,
    checked_tag,
    encode_cursor,
    page_parameters,
    page_statement,
    shape,
)
from paycrypt.core.storage.tables import transactions as t
from paycrypt.core.values import format_stroops

# What the public view shows, in its order (see _public_view).
_VIEW_NAMES: Final = (
    "id", "idempotency_key", "status", "operation", "source_tag", "source_account", "destination",
    "destination_tag", "destination_account", "asset_code", "asset_issuer", "amount_stroops",
    "memo_type", "memo", "fee_stroops", "tx_hash", "ledger", "result_codes", "error_code",
    "error_message", "created_at", "updated_at", "submitted_at", "completed_at",
)  # fmt: skip
_VIEW_COLUMNS: Final = tuple(t.c[name] for name in _VIEW_NAMES)
_ID: Final = _VIEW_NAMES.index("id")
_CREATED_AT: Final = _VIEW_NAMES.index("created_at")


@dataclass(frozen=True)
class HistoryViewRead:
    """One page as a single statement for a RowReader: run ``statement`` with ``parameters``, then give
    the rows to `document`."""

    tag: str
    limit: int
    statement: Select[Any] | TextClause
    parameters: dict[str, Any]
    rendered_by_database: bool

    def document(self, rows: Sequence[Sequence[Any]]) -> bytes:
        """The page as compact UTF-8 JSON."""
        if self.rendered_by_database:
            ((payments, fetched, last_at, last_id),) = rows
            cursor = encode_cursor(last_at, last_id) if fetched > self.limit else None
            return _document(self.tag, payments or "", cursor)
        cursor = None
        if len(rows) > self.limit:
            last = rows[self.limit - 1]
            cursor = encode_cursor(last[_CREATED_AT], last[_ID])
        payments = _compact([_public_view(row) for row in rows[: self.limit]])[1:-1]  # without [ ]
        return _document(self.tag, payments, cursor)


def history_view_read(query: HistoryQuery, dialect: str) -> HistoryViewRead:
    """The page payment_history would give, in its public view, by one statement for ``dialect`` (the
    database's SQLAlchemy dialect name) that reads only what that view shows (never the envelope)."""
    tag = checked_tag(query)
    by_database = dialect == "postgresql"
    parameters = page_parameters(tag, query)
    statement: Select[Any] | TextClause
    if by_database:
        statement = _rendered_statement(*shape(query))
        parameters["limit"] = query.limit
    else:
        statement = page_statement(_VIEW_COLUMNS, *shape(query))
    return HistoryViewRead(
        tag=tag,
        limit=query.limit,
        statement=statement,
        parameters=parameters,
        rendered_by_database=by_database,
    )


def _document(tag: str, payments: str, cursor: str | None) -> bytes:
    """``payments``: the page's payments as JSON objects separated by commas."""
    return f'{{"tag":{json.dumps(tag)},"payments":[{payments}],"next_cursor":{json.dumps(cursor)}}}'.encode()


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _public_view(row: Sequence[Any]) -> dict[str, Any]:
    """Payment.to_dict of the payment in ``row``, built from the row itself."""
    (
        payment_id, idempotency_key, status, operation, source_tag, source_account, destination,
        destination_tag, destination_account, asset_code, asset_issuer, amount_stroops, memo_type, memo,
        fee_stroops, tx_hash, ledger, result_codes, error_code, error_message, created_at, updated_at,
        submitted_at, completed_at,
    ) = row  # fmt: skip
    return {
        "id": payment_id,
        "idempotency_key": unscoped_key(idempotency_key),
        "status": status,
        "operation": operation,
        "from": source_tag,
        "source_account": source_account,
        "to": destination,
        "destination_tag": destination_tag,
        "destination_account": destination_account,
        "asset": f"{asset_code}:{asset_issuer}" if asset_code else "native",
        "amount": format_stroops(amount_stroops),
        "memo_type": memo_type or None,
        "memo": memo if memo_type else None,
        "fee": format_stroops(fee_stroops) if fee_stroops is not None else None,
        "hash": tx_hash,
        "ledger": ledger,
        "result_codes": result_codes,
        "error": {"code": error_code, "message": error_message} if error_code else None,
        "created_at": created_at.isoformat(),
        "updated_at": updated_at.isoformat(),
        "submitted_at": submitted_at.isoformat() if submitted_at else None,
        "completed_at": completed_at.isoformat() if completed_at else None,
    }


# --- the same view, written by PostgreSQL ---------------------------------------------------------------


def _iso_time(column: str) -> str:
    """SQL writing a timestamptz as datetime.isoformat() writes an aware UTC time,
    "2026-11-28T03:15:28.001500+00:00", without the fraction when it is zero; NULL stays NULL."""
    written = f"""to_char(timezone('UTC', {column}), 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')"""
    return f"replace({written}, '.000000+', '+')"


def _amount_text(column: str) -> str:
    """SQL writing stroops as format_stroops does ("12.5000000"): times a numeric of scale 7."""
    return f"CAST({column} * 0.0000001 AS text)"


def _filled(column: str) -> str:
    """Neither NULL nor empty: what Python calls true of a string."""
    return f"coalesce({column}, '') <> ''"


def _unscoped_key(column: str) -> str:
    """SQL for client_keys.unscoped_key: without a leading CLIENT_SCOPE_PATTERN ("api:", 12 hex digits, ":"),
    tested without a regular expression, which costs PostgreSQL more than the rest of the row."""
    scoped = f"{column} LIKE 'api:____________:%' AND ltrim(substr({column}, 5, 12), '0123456789abcdef') = ''"
    return f"CASE WHEN {scoped} THEN substr({column}, 18) ELSE {column} END"


# _public_view in SQL, over a row named page; its field names and order.
_VIEW_SQL: Final = ",\n".join(
    f"{expression} AS {json_name}"
    for expression, json_name in (
        ("page.id", "id"),
        (_unscoped_key("page.idempotency_key"), "idempotency_key"),
        ("page.status", "status"),
        ("page.operation", "operation"),
        ("page.source_tag", '"from"'),
        ("page.source_account", "source_account"),
        ("page.destination", '"to"'),
        ("page.destination_tag", "destination_tag"),
        ("page.destination_account", "destination_account"),
        (
            f"CASE WHEN {_filled('page.asset_code')} THEN page.asset_code || ':' || page.asset_issuer"
            " ELSE 'native' END",
            "asset",
        ),
        (_amount_text("page.amount_stroops"), "amount"),
        ("nullif(page.memo_type, '')", "memo_type"),
        (f"CASE WHEN {_filled('page.memo_type')} THEN page.memo END", "memo"),
        (_amount_text("page.fee_stroops"), "fee"),
        ("page.tx_hash", "hash"),
        ("page.ledger", "ledger"),
        ("page.result_codes", "result_codes"),
        (
            f"CASE WHEN {_filled('page.error_code')}"
            " THEN json_build_object('code', page.error_code, 'message', page.error_message) END",
            "error",
        ),
        (_iso_time("page.created_at"), "created_at"),
        (_iso_time("page.updated_at"), "updated_at"),
        (_iso_time("page.submitted_at"), "submitted_at"),
        (_iso_time("page.completed_at"), "completed_at"),
    )
)

# One row: the page's payments as JSON objects joined by commas (NULL for none), how many rows were
# fetched (a page and one more when another page follows), and the created_at and id of the page's last
# payment, for the next cursor. As page_statement does, each side (sent, received) walks its own index
# newest first and stops after a page and one; the two are merged and cut to that.
_RENDERED_SQL: Final = """
SELECT string_agg(document.json, ',' ORDER BY page.n) FILTER (WHERE page.n <= :limit),
    count(*),
    max(page.created_at) FILTER (WHERE page.n = :limit),
    max(page.id) FILTER (WHERE page.n = :limit)
FROM (
    SELECT merged.*, row_number() OVER (ORDER BY merged.created_at DESC, merged.id DESC) AS n
    FROM (
        (SELECT COLUMNS FROM transactions WHERE source_tag = :tag CONDITIONS
            ORDER BY created_at DESC, id DESC LIMIT :fetch)
        UNION ALL
        (SELECT COLUMNS FROM transactions WHERE destination_tag = :tag CONDITIONS
            ORDER BY created_at DESC, id DESC LIMIT :fetch)
        ORDER BY created_at DESC, id DESC LIMIT :fetch
    ) AS merged
) AS page
CROSS JOIN LATERAL (SELECT CAST(row_to_json(payment) AS text) AS json FROM (SELECT
VIEW
) AS payment) AS document
"""


@functools.cache
def _rendered_statement(statuses: bool, since: bool, until: bool, cursor: bool) -> TextClause:
    """_RENDERED_SQL for one shape of query; parameters: page_parameters' and ``limit``."""
    conditions = [
        "AND status = ANY(CAST(:statuses AS text[]))" if statuses else "",
        "AND created_at >= :since" if since else "",
        "AND created_at < :until" if until else "",
        "AND (created_at, id) < (:cursor_at, :cursor_id)" if cursor else "",
    ]
    sql = (
        _RENDERED_SQL.replace("COLUMNS", ", ".join(_VIEW_NAMES))
        .replace("CONDITIONS", " ".join(c for c in conditions if c))
        .replace("VIEW", _VIEW_SQL)
    )
    return text(sql)


__all__ = ["HistoryViewRead", "history_view_read"]
