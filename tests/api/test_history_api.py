"""`GET /api/transactions/tag/{tag}/history`: cursor paging, filters, CSV export, and bad cursors."""

from __future__ import annotations

import base64
import csv
import io
import json

import pytest

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
