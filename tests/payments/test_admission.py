"""PostgreSQL: a payment counted against the limits and stored in one statement, or nothing written.

The statement must agree with the general way (limits.reserve_daily_usage plus PaymentRepository.add): the
same rows, the same events, the same counters, and the limits hold under parallel payments.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from paycrypt.core.control import HELD_DETAIL, PAUSE_KEY
from paycrypt.core.limits import GLOBAL_SCOPE, PaymentLimits, reserve_daily_usage, tag_scope
from paycrypt.core.payment_status import PaymentStatus
from paycrypt.core.payments.admission import admit_at_once
from paycrypt.core.storage.tables import limit_usage, transactions

XLM = 10_000_000
DAY = date(2026, 11, 28)
LIMITS = PaymentLimits(
    min_stroops=1,
    max_stroops=50 * XLM,
    tag_daily_stroops=100 * XLM,
    tag_daily_count=5,
    global_daily_stroops=150 * XLM,
)


@pytest.fixture
def pg_uow_factory(uow_factory):
    with uow_factory() as probe:
        if probe.dialect != "postgresql":
            pytest.skip("one-statement admission is for PostgreSQL; SQLite takes the general way")
    return uow_factory


def _values(tag: str = "alice", stroops: int = XLM, **overrides) -> dict[str, object]:
    values: dict[str, object] = {
        "id": str(uuid.uuid4()),
        "idempotency_key": f"key-{uuid.uuid4()}",
        "request_hash": "f" * 64,
        "operation": "payment",
        "source_tag": tag,
        "source_account": "G" + "A" * 55,
        "destination": "bob",
        "destination_tag": "bob",
        "destination_account": "G" + "B" * 55,
        "asset_code": None,
        "asset_issuer": None,
        "amount_stroops": stroops,
        "fee_stroops": 100,
        "memo_type": "text",
        "memo": "rent",
        "limit_day": DAY.isoformat(),
        "created_at": datetime(2026, 11, 28, 9, 30, tzinfo=UTC),
    }
    values.update(overrides)
    return values


def _open_the_day(uow_factory, tag: str = "alice", stroops: int = XLM) -> None:
    """The general way's first payment of the day creates the counter rows."""
    with uow_factory() as uow:
        reserve_daily_usage(uow, LIMITS, tag, stroops, DAY)
        uow.commit()


def _admit(uow_factory, values):
    with uow_factory().one_statement() as uow:
        return admit_at_once(uow, LIMITS, values)


def _counters(uow_factory) -> dict[str, tuple[int, int]]:
    with uow_factory() as uow:
        rows = uow.connection.execute(
            select(limit_usage.c.scope, limit_usage.c.amount_stroops, limit_usage.c.count)
        ).all()
    return {scope: (amount, count) for scope, amount, count in rows}


def _stored_count(uow_factory) -> int:
    with uow_factory() as uow:
        return uow.connection.execute(select(func.count()).select_from(transactions)).scalar_one()


def test_a_payment_that_fits_is_counted_and_stored_as_the_general_way_stores_it(pg_uow_factory):
    _open_the_day(pg_uow_factory, stroops=2 * XLM)
    values = _values(stroops=3 * XLM)
    admitted = _admit(pg_uow_factory, values)
    assert admitted is not None and admitted.status is PaymentStatus.RECEIVED
    with pg_uow_factory() as uow:
        stored = uow.payments.get(admitted.id)
        events = uow.payments.events(admitted.id)
    assert stored == admitted
    assert (stored.amount_stroops, stored.memo.value, stored.limit_day) == (3 * XLM, "rent", "2026-11-28")
    assert [(e.status, e.at, e.detail) for e in events] == [
        (PaymentStatus.RECEIVED, values["created_at"], None)
    ]
    assert _counters(pg_uow_factory) == {tag_scope("alice"): (5 * XLM, 2), GLOBAL_SCOPE: (5 * XLM, 2)}


def test_a_payment_admitted_while_paused_is_held_with_the_reason(pg_uow_factory):
    _open_the_day(pg_uow_factory)
    with pg_uow_factory() as uow:
        uow.control.put(PAUSE_KEY, {"paused": True}, by="ops", reason="incident")
        uow.commit()
    admitted = _admit(pg_uow_factory, _values())
    assert admitted is not None and admitted.status is PaymentStatus.HELD
    with pg_uow_factory() as uow:
        assert uow.payments.get(admitted.id).status is PaymentStatus.HELD
        events = [(e.status, e.detail) for e in uow.payments.events(admitted.id)]
    assert events == [(PaymentStatus.RECEIVED, None), (PaymentStatus.HELD, HELD_DETAIL)]


def test_a_resumed_switch_admits_payments_as_received(pg_uow_factory):
    _open_the_day(pg_uow_factory)
    with pg_uow_factory() as uow:
        uow.control.put(PAUSE_KEY, {"paused": False}, by="ops", reason="all clear")
        uow.commit()
    admitted = _admit(pg_uow_factory, _values())
    assert admitted is not None and admitted.status is PaymentStatus.RECEIVED


def test_without_todays_counter_rows_it_writes_nothing_and_leaves_the_decision(pg_uow_factory):
    assert _admit(pg_uow_factory, _values()) is None
    assert _stored_count(pg_uow_factory) == 0 and _counters(pg_uow_factory) == {}
    _open_the_day(pg_uow_factory, tag="bob")  # another tag's day does not open alice's
    assert _admit(pg_uow_factory, _values(tag="alice")) is None
    assert _stored_count(pg_uow_factory) == 0


@pytest.mark.parametrize(
    "used_by_alice, used_by_bob, stroops, most_that_fits",
    [
        pytest.param([60 * XLM], [], 41 * XLM, 40 * XLM, id="over the tag's daily amount"),
        pytest.param([XLM] * 5, [], XLM, None, id="over the tag's daily count"),
        pytest.param([50 * XLM], [50 * XLM, 45 * XLM], 6 * XLM, 5 * XLM, id="over the global cap"),
    ],
)
def test_a_payment_over_a_limit_writes_nothing(
    pg_uow_factory, used_by_alice, used_by_bob, stroops, most_that_fits
):
    for tag, amounts in (("alice", used_by_alice), ("bob", used_by_bob)):
        for amount in amounts:
            _open_the_day(pg_uow_factory, tag=tag, stroops=amount)
    before = _counters(pg_uow_factory)
    assert _admit(pg_uow_factory, _values(stroops=stroops)) is None
    assert _counters(pg_uow_factory) == before and _stored_count(pg_uow_factory) == 0
    if most_that_fits is not None:  # exactly at the limit is still inside it
        assert _admit(pg_uow_factory, _values(stroops=most_that_fits)) is not None


def test_a_refused_insert_gives_the_counters_back(pg_uow_factory):
    _open_the_day(pg_uow_factory)
    first = _values()
    assert _admit(pg_uow_factory, first) is not None
    before = _counters(pg_uow_factory)
    with pytest.raises(IntegrityError):
        _admit(pg_uow_factory, _values(idempotency_key=first["idempotency_key"]))
    assert _counters(pg_uow_factory) == before and _stored_count(pg_uow_factory) == 1


def test_limits_hold_when_many_payments_are_admitted_at_once(pg_uow_factory):
    tags = ("alice", "bob", "carol")
    for tag in tags:
        _open_the_day(pg_uow_factory, tag=tag, stroops=XLM)
    # Each tag may make 4 more payments (its count is 5), 12 in all, but the global cap leaves room for 7.
    payments = [_values(tag=tag, stroops=20 * XLM) for tag in tags for _ in range(10)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        admitted = [p for p in pool.map(lambda v: _admit(pg_uow_factory, v), payments) if p is not None]
    assert len(admitted) == 7 and _stored_count(pg_uow_factory) == 7
    counters = _counters(pg_uow_factory)
    assert counters[GLOBAL_SCOPE] == (3 * XLM + 7 * 20 * XLM, 3 + 7)
    for tag in tags:
        made = sum(1 for p in admitted if p.source_tag == tag)
        assert made <= 4 and counters[tag_scope(tag)] == (XLM + made * 20 * XLM, 1 + made)
