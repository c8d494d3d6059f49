"""The unit of work keeps nothing unless committed; constraints hold on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from paycrypt.core.storage.tables import audit_log, transactions
from paycrypt.core.storage.types import utcnow


def _count(uow_factory, table) -> int:
    with uow_factory() as uow:
        return uow.connection.execute(select(func.count()).select_from(table)).scalar_one()


def _payment_row(key: str, **overrides):
    now = utcnow()
    row = {
        "id": f"pay-{key}",
        "idempotency_key": key,
        "status": "received",
        "source_account": "GSOURCE",
        "destination": "alice",
        "destination_account": "GDEST",
        "amount_stroops": 125_000_000,
        "created_at": now,
        "updated_at": now,
    }
    row.update(overrides)
    return row


def test_committed_work_is_kept(uow_factory):
    with uow_factory() as uow:
        uow.audit.record(actor="ops@example.com", action="pause", reason="incident 42")
        uow.commit()
    with uow_factory() as uow:
        [entry] = uow.audit.recent()
    assert (entry.actor, entry.action, entry.reason) == ("ops@example.com", "pause", "incident 42")


def test_work_without_commit_is_rolled_back(uow_factory):
    with uow_factory() as uow:
        uow.audit.record(actor="ops", action="pause")
    assert _count(uow_factory, audit_log) == 0


def test_an_exception_rolls_back_everything_written_in_the_unit(uow_factory):
    with pytest.raises(RuntimeError), uow_factory() as uow:
        uow.audit.record(actor="ops", action="pause")
        uow.control.put("payments_paused", True, by="ops", reason="test")
        raise RuntimeError("boom")
    assert _count(uow_factory, audit_log) == 0
    with uow_factory() as uow:
        assert uow.control.get("payments_paused") is None


def test_the_idempotency_key_is_unique(uow_factory):
    with uow_factory() as uow:
        uow.connection.execute(insert(transactions).values(**_payment_row("key-1")))
        uow.commit()
    with pytest.raises(IntegrityError), uow_factory() as uow:
        uow.connection.execute(insert(transactions).values(**_payment_row("key-1", id="pay-other")))
    assert _count(uow_factory, transactions) == 1


def test_a_non_positive_amount_is_refused_by_the_database(uow_factory):
    with pytest.raises(IntegrityError), uow_factory() as uow:
        uow.connection.execute(insert(transactions).values(**_payment_row("key-2", amount_stroops=0)))


def test_amounts_beyond_32_bits_are_stored_exactly(uow_factory):
    max_stroops = 2**63 - 1
    with uow_factory() as uow:
        uow.connection.execute(insert(transactions).values(**_payment_row("big", amount_stroops=max_stroops)))
        uow.commit()
    with uow_factory() as uow:
        stored = uow.connection.execute(select(transactions.c.amount_stroops)).scalar_one()
    assert stored == max_stroops


def test_times_come_back_as_the_same_utc_instant(uow_factory):
    at = datetime(2026, 11, 27, 12, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))
    with uow_factory() as uow:
        uow.audit.record(actor="ops", action="resume", at=at)
        uow.commit()
    with uow_factory() as uow:
        [entry] = uow.audit.recent()
    assert entry.at == at and entry.at.tzinfo == UTC


def test_a_naive_time_is_refused(uow_factory):
    with pytest.raises(Exception, match="naive datetime"), uow_factory() as uow:
        uow.audit.record(actor="ops", action="resume", at=datetime(2026, 1, 1))


def test_control_state_keeps_one_value_per_key(uow_factory):
    with uow_factory() as uow:
        uow.control.put("payments_paused", {"paused": True}, by="alice", reason="incident")
        uow.control.put("payments_paused", {"paused": False}, by="bob", reason="fixed")
        uow.commit()
    with uow_factory() as uow:
        value = uow.control.get("payments_paused")
    assert value is not None
    assert (value.value, value.updated_by, value.reason) == ({"paused": False}, "bob", "fixed")


def test_commit_outside_an_open_unit_is_an_error(uow_factory):
    uow = uow_factory()
    with uow:
        uow.commit()
        with pytest.raises(RuntimeError):
            uow.commit()


def test_a_service_entering_an_open_unit_of_work_joins_it_and_the_outer_block_decides(uow_factory):
    def service(uow) -> None:  # a service written as usual: its own block, its own commit
        with uow:
            uow.audit.record(actor="ops", action="pause", reason="inner")
            uow.commit()

    with uow_factory() as uow:
        service(uow)
        connection = uow.connection
        assert not connection.closed  # the inner block left the transaction open
        uow.audit.record(actor="ops", action="resume", reason="outer")
    assert _count(uow_factory, audit_log) == 0  # no outer commit: the inner "commit" kept nothing

    with uow_factory() as uow:
        service(uow)
        uow.commit()
    assert _count(uow_factory, audit_log) == 1


def test_a_read_only_unit_of_work_refuses_to_commit(uow_factory):
    with uow_factory().reading() as uow:
        assert _count_in(uow, audit_log) == 0
        with pytest.raises(RuntimeError):
            uow.commit()


def test_a_read_only_unit_of_work_on_postgresql_reads_without_a_transaction(uow_factory):
    from sqlalchemy import text

    with uow_factory() as probe:
        if probe.dialect != "postgresql":
            pytest.skip("autocommit reads are a PostgreSQL matter; SQLite reads take no lock anyway")

    def transaction_ids(uow) -> set[int]:
        return {uow.connection.execute(text("SELECT txid_current()")).scalar_one() for _ in range(2)}

    with uow_factory().reading() as uow:
        assert len(transaction_ids(uow)) == 2  # each statement on its own
    with uow_factory() as uow:  # the connection went back to the pool as it came: one transaction again
        assert len(transaction_ids(uow)) == 1


def _count_in(uow, table) -> int:
    return uow.connection.execute(select(func.count()).select_from(table)).scalar_one()


def test_a_one_statement_unit_of_work_keeps_its_statement_without_a_commit(uow_factory):
    with uow_factory().one_statement() as uow:
        uow.connection.execute(insert(transactions).values(**_payment_row("kept")))
        with pytest.raises(RuntimeError):
            uow.commit()
    assert _count(uow_factory, transactions) == 1


def test_a_failed_statement_in_a_one_statement_unit_of_work_leaves_nothing(uow_factory):
    with uow_factory() as uow:
        uow.connection.execute(insert(transactions).values(**_payment_row("first")))
        uow.commit()
    with pytest.raises(IntegrityError), uow_factory().one_statement() as uow:
        # Two rows in one statement, the second a duplicate key: neither is kept.
        uow.connection.execute(
            insert(transactions).values([_payment_row("second"), _payment_row("first", id="pay-other")])
        )
    assert _count(uow_factory, transactions) == 1
