"""The history page as a client sees it, on each database: written by PostgreSQL itself, built in Python on
SQLite, and on both the same JSON values as each payment's public view with the key its client sent."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert

from paycrypt.core.payment_status import PaymentStatus
from paycrypt.core.payments.client_keys import scoped_key, unscoped_key
from paycrypt.core.payments.history import HistoryQuery, payment_history
from paycrypt.core.payments.history_view import history_view_read
from paycrypt.core.storage.reads import read_rows
from paycrypt.core.storage.tables import transactions
from paycrypt.core.values import MAX_STROOPS

START = datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC)
KEYS = [
    scoped_key("client-1", "order-1"),  # the client's own key comes back
    scoped_key("client-2", scoped_key("client-3", "k")),  # only the outer scope goes
    "api:0123456789AB:k",  # not hex in lower case: not a scope
    "api:0123456789a:k",  # 11 digits
    "api:0123456789abc:k",  # 13 digits
    "api:zzzzzzzzzzzz:k",
    "api:0123456789ab",  # no colon after the digits
    "cli-key_1%",
]


def _row(i: int, key: str, **fields: Any) -> dict[str, Any]:
    """Every column named in every row: one INSERT of many rows takes its columns from the first."""
    at = START + timedelta(seconds=i)
    optional = ("asset_code", "asset_issuer", "fee_stroops", "memo_type", "memo", "ledger", "result_codes")
    return {
        **dict.fromkeys(optional),
        **dict.fromkeys(("error_code", "error_message", "submitted_at", "completed_at")),
        "operation": "payment",
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"payment-{i}")),
        "idempotency_key": key,
        "status": PaymentStatus.SUCCEEDED.value,
        "source_tag": "alice",
        "source_account": "GA",
        "destination": "bob",
        "destination_tag": "bob",
        "destination_account": "GB",
        "amount_stroops": 1,
        "created_at": at,
        "updated_at": at,
        **fields,
    }


def _stored() -> list[dict[str, Any]]:
    rows = [_row(i, key) for i, key in enumerate(KEYS)]
    n = len(rows)
    rows += [
        # every time with and without a fraction; a fraction with trailing zeros
        _row(
            n,
            "times",
            created_at=START + timedelta(seconds=n, microseconds=1500),
            updated_at=START + timedelta(seconds=n, microseconds=999_999),
            submitted_at=START + timedelta(seconds=n + 1),
            completed_at=START + timedelta(seconds=n + 2, microseconds=10),
        ),
        # the largest amount the network allows, a zero fee, a credit asset, a memo JSON must escape
        _row(
            n + 1,
            "money",
            amount_stroops=MAX_STROOPS,
            fee_stroops=0,
            asset_code="USDC",
            asset_issuer="GISSUER",
            memo_type="text",
            memo='"quoted" \\ é \u0001 ☃',
        ),
        # failed, with Horizon's codes, an id memo, received rather than sent, another operation
        _row(
            n + 2,
            "failed",
            status=PaymentStatus.FAILED.value,
            source_tag="carol",
            destination="alice",
            destination_tag="alice",
            operation="create_account",
            memo_type="id",
            memo="18446744073709551615",
            fee_stroops=12_345_678,
            ledger=2**40,
            result_codes={"transaction": "tx_failed", "operations": ["op_underfunded"]},
            error_code="op_underfunded",
            error_message="the source account cannot pay this amount",
        ),
        # an empty memo type and error code mean none
        _row(n + 3, "empty", memo_type="", memo="ignored", error_code="", error_message="ignored"),
    ]
    return rows


@pytest.fixture
def stored(engine, uow_factory):
    with uow_factory() as uow:
        uow.connection.execute(insert(transactions), _stored())
        uow.commit()
    return engine


def _expected(uow_factory, query: HistoryQuery) -> dict[str, Any]:
    page = payment_history(uow_factory, query)
    payments = []
    for payment in page.payments:
        view = payment.to_dict()
        view["idempotency_key"] = unscoped_key(view["idempotency_key"])
        payments.append(view)
    return {"tag": page.tag, "payments": payments, "next_cursor": page.next_cursor}


def _read(engine, query: HistoryQuery) -> dict[str, Any]:
    read = history_view_read(query, engine.dialect.name)
    assert read.rendered_by_database == (engine.dialect.name == "postgresql")
    return json.loads(read.document(read_rows(engine, read.statement, read.parameters)))


@pytest.mark.parametrize("limit", [200, 5, 1])
def test_every_page_shows_what_the_public_view_shows(stored, uow_factory, limit):
    query = HistoryQuery(tag="alice", limit=limit)
    pages = 0
    while True:
        page = _read(stored, query)
        expected = _expected(uow_factory, query)
        assert page == expected
        assert [list(p) for p in page["payments"]] == [list(p) for p in expected["payments"]]  # field order
        pages += 1
        if page["next_cursor"] is None:
            break
        query = HistoryQuery(tag="alice", limit=limit, cursor=page["next_cursor"])
    assert pages == -(-len(_stored()) // limit)


def test_the_client_sees_its_own_key_and_the_fields_as_written(stored):
    payments = {p["id"]: p for p in _read(stored, HistoryQuery(tag="alice", limit=200))["payments"]}
    by_key = {row["idempotency_key"]: payments[row["id"]] for row in _stored()}
    assert [by_key[key]["idempotency_key"] for key in KEYS] == [
        "order-1",
        scoped_key("client-3", "k"),
        *KEYS[2:],
    ]
    times = by_key["times"]
    assert times["created_at"] == "2026-11-27T12:00:08.001500+00:00"
    assert times["updated_at"] == "2026-11-27T12:00:08.999999+00:00"
    assert times["submitted_at"] == "2026-11-27T12:00:09+00:00"
    assert times["completed_at"] == "2026-11-27T12:00:10.000010+00:00"
    money = by_key["money"]
    assert (money["amount"], money["fee"], money["asset"]) == (
        "922337203685.4775807",
        "0.0000000",
        "USDC:GISSUER",
    )
    assert money["memo"] == '"quoted" \\ é \u0001 ☃'
    failed = by_key["failed"]
    assert (
        failed["fee"] == "1.2345678"
        and failed["ledger"] == 2**40
        and failed["memo"] == "18446744073709551615"
    )
    assert failed["error"] == {
        "code": "op_underfunded",
        "message": "the source account cannot pay this amount",
    }
    assert by_key["empty"]["memo_type"] is None and by_key["empty"]["memo"] is None
    assert by_key["empty"]["error"] is None and by_key["empty"]["submitted_at"] is None


def test_filters_and_an_empty_page(stored, uow_factory):
    for query in (
        HistoryQuery(tag="alice", statuses=(PaymentStatus.FAILED,)),
        HistoryQuery(
            tag="alice", since=START + timedelta(seconds=3), until=START + timedelta(seconds=9), limit=2
        ),
        HistoryQuery(tag="nobody"),
    ):
        assert _read(stored, query) == _expected(uow_factory, query)
    assert _read(stored, HistoryQuery(tag="nobody")) == {"tag": "nobody", "payments": [], "next_cursor": None}
