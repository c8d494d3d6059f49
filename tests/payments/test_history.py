"""History by tag: sent and received, filters, cursor paging without gaps or repeats, CSV."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import insert

from paycrypt.core.errors import ValidationError
from paycrypt.core.payment_status import PaymentStatus
from paycrypt.core.payments.history import HistoryQuery, all_pages, history_csv, payment_history
from paycrypt.core.storage.tables import transactions
from paycrypt.core.storage.types import utcnow

S = PaymentStatus
START = utcnow().replace(microsecond=0) - timedelta(days=1)


def _rows(count: int, **overrides):
    rows = []
    for i in range(count):
        at = START + timedelta(seconds=i)
        row = {
            "id": str(uuid.uuid4()),
            "idempotency_key": f"k{i}-{uuid.uuid4().hex[:6]}",
            "status": S.SUCCEEDED.value,
            "source_tag": "alice",
            "source_account": "GA",
            "destination": "bob",
            "destination_tag": "bob",
            "destination_account": "GB",
            "amount_stroops": (i + 1) * 10_000_000,
            "created_at": at,
            "updated_at": at,
        }
        row.update(overrides)
        rows.append(row)
    return rows


@pytest.fixture
def seeded(uow_factory):
    with uow_factory() as uow:
        uow.connection.execute(insert(transactions), _rows(25))
        uow.connection.execute(
            insert(transactions),
            _rows(5, source_tag="carol", destination="alice", destination_tag="alice", status=S.FAILED.value),
        )
        uow.connection.execute(insert(transactions), _rows(3, source_tag="dave", destination_tag="erin"))
        uow.commit()
    return uow_factory


def test_history_lists_sent_and_received_newest_first(seeded):
    page = payment_history(seeded, HistoryQuery(tag="alice", limit=200))
    assert len(page.payments) == 30 and page.next_cursor is None
    times = [p.created_at for p in page.payments]
    assert times == sorted(times, reverse=True)
    assert {page.direction(p) for p in page.payments} == {"sent", "received"}


def test_cursor_paging_visits_every_payment_once(seeded):
    seen, cursor = [], None
    while True:
        page = payment_history(seeded, HistoryQuery(tag="alice", limit=7, cursor=cursor))
        seen += [p.id for p in page.payments]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 30


def test_filters_by_status_and_time(seeded):
    failed = payment_history(seeded, HistoryQuery(tag="alice", statuses=(S.FAILED,), limit=200))
    assert len(failed.payments) == 5 and all(page_p.status is S.FAILED for page_p in failed.payments)
    window = payment_history(
        seeded,
        HistoryQuery(tag="alice", since=START + timedelta(seconds=10), until=START + timedelta(seconds=20)),
    )
    assert all(
        START + timedelta(seconds=10) <= p.created_at < START + timedelta(seconds=20) for p in window.payments
    )
    assert len(window.payments) == 10  # sent at seconds 10-19; the received ones are at seconds 0-4


def test_csv_export_has_one_row_per_payment_and_neutralises_formulas(uow_factory):
    with uow_factory() as uow:
        uow.connection.execute(insert(transactions), _rows(3, memo_type="text", memo="=HYPERLINK(1)"))
        uow.commit()
    text = history_csv(all_pages(uow_factory, HistoryQuery(tag="alice", limit=2)))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 3
    assert rows[0]["amount"] == "3.0000000" and rows[0]["direction"] == "sent"
    assert all(r["memo"] == "'=HYPERLINK(1)" for r in rows)


@pytest.mark.parametrize(
    ("query", "code"),
    [
        (HistoryQuery(tag="alice", cursor="not-a-cursor"), "cursor_invalid"),
        (HistoryQuery(tag="alice", limit=0), "limit_invalid"),
        (HistoryQuery(tag="A B"), "tag_invalid"),
    ],
)
def test_bad_history_queries_get_a_stable_code(uow_factory, query, code):
    with pytest.raises(ValidationError) as caught:
        payment_history(uow_factory, query)
    assert caught.value.code == code
