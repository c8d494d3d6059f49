"""`GET /api/transactions/tag/{tag}/history`: cursor paging, filters, CSV export, and bad cursors."""

from __future__ import annotations

import base64
import csv
import io
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert
from stellar_sdk import Keypair

from paycrypt.api.routes.payments import payment_out
from paycrypt.api.schemas import HistoryOut
from paycrypt.core.payment_status import PaymentStatus
from paycrypt.core.payments.history import HistoryQuery, payment_history
from paycrypt.core.storage.tables import transactions

HISTORY = "/api/transactions/tag/alice/history"


@pytest.fixture
def three_payments(api):
    api.bank.custodial("alice")
    api.bank.outside("bob")
    headers = api.auth("payments:write")
    ids = []
    for n, memo in enumerate(["first", "=SUM(A1)", "third"]):
        body = {"from": "alice", "to": "bob", "amount": f"{n + 1}", "memo": memo}
        answer = api.client.post(
            "/api/transactions/payment", json=body, headers={**headers, "Idempotency-Key": f"h{n}"}
        )
        assert answer.status_code == 202, answer.text
        ids.append(answer.json()["id"])
    return ids


def test_pages_follow_the_cursor_newest_first(api, three_payments):
    headers = api.auth("payments:read")
    first = api.client.get(HISTORY, params={"limit": 2}, headers=headers).json()
    assert [p["id"] for p in first["payments"]] == three_payments[:0:-1]
    assert first["tag"] == "alice" and first["next_cursor"]
    second = api.client.get(
        HISTORY, params={"limit": 2, "cursor": first["next_cursor"]}, headers=headers
    ).json()
    assert [p["id"] for p in second["payments"]] == three_payments[:1]
    assert second["next_cursor"] is None
    bob = api.client.get("/api/transactions/tag/bob/history", headers=headers).json()
    assert len(bob["payments"]) == 3  # received


def test_filters_by_status_and_time(api, three_payments):
    headers = api.auth("payments:read")
    received = api.client.get(HISTORY, params={"status": ["received", "held"]}, headers=headers).json()
    assert len(received["payments"]) == 3
    assert api.client.get(HISTORY, params={"status": "succeeded"}, headers=headers).json()["payments"] == []
    later = api.client.get(HISTORY, params={"since": "2999-01-01T00:00:00Z"}, headers=headers).json()
    assert later["payments"] == []
    naive = api.client.get(HISTORY, params={"until": "2999-01-01T00:00:00"}, headers=headers).json()
    assert len(naive["payments"]) == 3  # no zone given: UTC


def test_accept_text_csv_exports_every_page_with_formulas_defused(api, three_payments):
    answer = api.client.get(
        HISTORY, params={"limit": 1}, headers={"Accept": "text/csv", **api.auth("payments:read")}
    )
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/csv")
    assert 'filename="alice-history.csv"' in answer.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [r["id"] for r in rows] == three_payments[::-1]
    assert {r["amount"] for r in rows} == {"1.0000000", "2.0000000", "3.0000000"}
    assert "'=SUM(A1)" in {r["memo"] for r in rows}


def _cursor(payload) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "bm90LWEtY3Vyc29y",  # base64 of text that is no cursor
        _cursor(["2024-01-01T00:00:00", "5b0ab3ee-0000-4000-8000-000000000000"]),  # naive time
        _cursor(["2024-01-01T00:00:00+00:00", "x\u0000y"]),  # an id the database would choke on
        _cursor({"at": 1}),
        "A",
    ],
)
def test_a_cursor_not_given_out_here_is_a_422(api, cursor):
    answer = api.client.get(HISTORY, params={"cursor": cursor}, headers=api.auth("payments:read"))
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["field"] == "cursor"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 10**30}, "limit"),
        ({"status": "lost"}, "status.0"),
        ({"since": "yesterday"}, "since"),
        ({"since": "0001-01-01T00:00:00+01:00"}, "since"),
        ({"cursor": "not base64 !"}, "cursor"),
    ],
)
def test_bad_query_parameters_are_422_naming_them(api, params, field):
    answer = api.client.get(HISTORY, params=params, headers=api.auth("payments:read"))
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["field"] == field


def test_the_checklist_smoke_test_path_needs_a_token(api):
    assert api.client.get(HISTORY).status_code == 401
    assert api.client.get(HISTORY, headers=api.auth("payments:read")).json() == {
        "tag": "alice",
        "payments": [],
        "next_cursor": None,
    }


def _stored_payments() -> list[dict[str, Any]]:
    """Payments of every kind a page can show: sent and received, assets, memos, fees, errors."""
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    issuer = Keypair.random().public_key
    rows = []
    for i in range(9):
        at = start + timedelta(seconds=i, microseconds=(i % 2) * 1500)
        failed = i % 3 == 0
        rows.append(
            {
                "id": str(uuid.uuid4()),
                "idempotency_key": f"api:0123456789ab:client-key-{i}" if i % 2 else f"cli-{i}",
                "status": (PaymentStatus.FAILED if failed else PaymentStatus.SUCCEEDED).value,
                "operation": "create_account" if i == 4 else "payment",
                "source_tag": "alice" if i % 4 else "carol",
                "source_account": "GSOURCE",
                "destination": "bob" if i % 4 else "alice",
                "destination_tag": "bob" if i % 4 else "alice",
                "destination_account": "GDEST",
                "asset_code": "USDC" if i % 2 else None,
                "asset_issuer": issuer if i % 2 else None,
                "amount_stroops": 12_345_678 * (i + 1),
                "fee_stroops": 100 if i % 3 != 2 else None,
                "memo_type": ("text", "id", None)[i % 3],
                "memo": ("=cmd|x", "42", None)[i % 3],
                "tx_hash": f"{i:064x}",
                "envelope_xdr": "AAAA" * 10,
                "ledger": 100 + i if not failed else None,
                "result_codes": {"transaction": "tx_failed", "operations": ["op_underfunded"]}
                if failed
                else None,
                "error_code": "op_underfunded" if failed else None,
                "error_message": "the source account cannot pay this amount" if failed else None,
                "created_at": at,
                "updated_at": at + timedelta(seconds=5),
                "submitted_at": at + timedelta(seconds=1) if i % 2 else None,
                "completed_at": at + timedelta(seconds=5) if i % 2 else None,
            }
        )
    return rows


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"limit": 2},
        {"limit": 3, "status": ["failed"]},
        {"status": ["succeeded", "failed"], "since": "2000-01-01T00:00:00Z", "until": "2999-01-01T00:00:00"},
    ],
)
def test_each_page_is_what_the_response_model_makes_of_the_stored_payments(api, params):
    with api.container.unit_of_work() as uow:
        uow.connection.execute(insert(transactions), _stored_payments())
        uow.commit()
    headers = api.auth("payments:read")
    query = HistoryQuery(
        tag="alice",
        statuses=tuple(PaymentStatus(s) for s in params.get("status", ())),
        since=datetime(2000, 1, 1, tzinfo=UTC) if "since" in params else None,
        until=datetime(2999, 1, 1, tzinfo=UTC) if "until" in params else None,
        limit=params.get("limit", 50),
    )
    pages = 0
    while True:
        answer = api.client.get(HISTORY, params=params, headers=headers)
        assert answer.status_code == 200, answer.text
        expected = payment_history(api.container.uow_factory, query)
        model = HistoryOut(
            tag=expected.tag,
            payments=[payment_out(p) for p in expected.payments],
            next_cursor=expected.next_cursor,
        )
        assert answer.json() == model.model_dump(mode="json", by_alias=True)
        assert list(answer.json()["payments"][0]) == list(model.model_dump(by_alias=True)["payments"][0])
        pages += 1
        if expected.next_cursor is None:
            break
        params = {**params, "cursor": expected.next_cursor}
        query = HistoryQuery(**{**query.__dict__, "cursor": expected.next_cursor})
    assert pages == (1 if "limit" not in params else -(-len(_alice_rows(params)) // params["limit"]))


def _alice_rows(params) -> list[dict[str, Any]]:
    statuses = params.get("status")
    return [
        row
        for row in _stored_payments()
        if "alice" in (row["source_tag"], row["destination_tag"])
        and (not statuses or row["status"] in statuses)
    ]
