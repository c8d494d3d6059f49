"""The global pause switch: authorised by role, audited with who and why, fails closed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import insert

from paycrypt.core.access import Actor, Role
from paycrypt.core.control import (
    engine_status,
    is_paused,
    pause_payments,
    read_pause_state,
    resume_payments,
)
from paycrypt.core.errors import PermissionDenied, ValidationError
from paycrypt.core.payment_status import PaymentStatus
from paycrypt.core.storage.tables import transactions
from paycrypt.core.storage.types import utcnow
from paycrypt.core.storage.unit_of_work import UnitOfWork

ONCALL = Actor("dana@ops", Role.OPS)


def test_pausing_holds_payments_and_is_audited_with_who_and_why(uow_factory):
    state = pause_payments(uow_factory, ONCALL, "Horizon errors spiking")
    assert state.paused and state.changed
    with uow_factory() as uow:
        assert is_paused(uow)
        [entry] = uow.audit.recent()
    assert (entry.actor, entry.role, entry.action, entry.reason) == (
        "dana@ops",
        "ops",
        "pause",
        "Horizon errors spiking",
    )


def test_resuming_lets_payments_go_and_is_audited(uow_factory):
    pause_payments(uow_factory, ONCALL, "incident")
    state = resume_payments(uow_factory, Actor("lee@ops", Role.ADMIN), "fixed upstream")
    assert not state.paused and state.changed
    with uow_factory() as uow:
        assert not is_paused(uow)
        actions = [(e.action, e.actor) for e in uow.audit.recent()]
    assert actions == [("resume", "lee@ops"), ("pause", "dana@ops")]


def test_pausing_twice_changes_nothing_and_keeps_the_first_reason(uow_factory):
    pause_payments(uow_factory, ONCALL, "first")
    again = pause_payments(uow_factory, ONCALL, "second")
    assert again.paused and not again.changed and again.reason == "first"
    with uow_factory() as uow:
        assert len(uow.audit.recent()) == 1


@pytest.mark.parametrize("role", [Role.VIEWER, Role.MANAGER])
def test_only_ops_and_admins_may_pause(uow_factory, role):
    with pytest.raises(PermissionDenied) as caught:
        pause_payments(uow_factory, Actor("someone", role), "because")
    assert caught.value.code == "forbidden"
    with uow_factory() as uow:
        assert not read_pause_state(uow).paused
        assert uow.audit.recent() == []


def test_a_pause_needs_a_reason(uow_factory):
    with pytest.raises(ValidationError) as caught:
        pause_payments(uow_factory, ONCALL, "   ")
    assert caught.value.code == "reason_required" and caught.value.field == "reason"


class BrokenControlUnitOfWork(UnitOfWork):
    """A unit of work whose control table cannot be read, as when the database hiccups."""

    def __enter__(self):
        super().__enter__()

        class Unreadable:
            def get(self, key, *, hold=False):
                raise ConnectionError("database went away")

            def value(self, key, *, hold=False):
                raise ConnectionError("database went away")

        self.control = Unreadable()  # type: ignore[assignment]
        return self


def test_a_switch_that_cannot_be_read_counts_as_paused(engine):
    with BrokenControlUnitOfWork(engine) as uow:
        assert is_paused(uow) is True


def _payment(status: PaymentStatus, key: str, submitted_ago: timedelta | None = None) -> dict:
    now = utcnow()
    return {
        "id": key,
        "idempotency_key": key,
        "status": status.value,
        "source_account": "GSRC",
        "destination": "bob",
        "destination_account": "GDST",
        "amount_stroops": 10,
        "created_at": now,
        "updated_at": now,
        "submitted_at": now - submitted_ago if submitted_ago is not None else None,
    }


def test_status_counts_held_awaiting_in_flight_and_unknown_payments(uow_factory):
    rows = [
        _payment(PaymentStatus.HELD, "h1"),
        _payment(PaymentStatus.HELD, "h2"),
        _payment(PaymentStatus.AWAITING_SIGNATURES, "a1"),
        _payment(PaymentStatus.SUBMITTED, "s1", timedelta(seconds=5)),
        _payment(PaymentStatus.SUBMITTED, "s2", timedelta(minutes=10)),
        _payment(PaymentStatus.SUCCEEDED, "ok"),
    ]
    with uow_factory() as uow:
        uow.connection.execute(insert(transactions), rows)
        uow.commit()
    pause_payments(uow_factory, ONCALL, "maintenance")
    report = engine_status(uow_factory)
    assert report.pause.paused and report.pause.reason == "maintenance"
    assert (report.held, report.awaiting_signatures, report.submitted_unconfirmed, report.unknown) == (
        2,
        1,
        2,
        1,
    )
