"""The global pause switch: pausing holds new payments; nothing is signed or sent until resumed.

Every process reads the switch inside the same database transaction that claims a payment for signing,
and a failure to read it counts as paused (fail closed).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from paycrypt.core.access import Action, Actor, authorise
from paycrypt.core.errors import ValidationError
from paycrypt.core.payment_status import PaymentStatus
from paycrypt.core.storage.tables import transactions
from paycrypt.core.storage.types import utcnow
from paycrypt.core.storage.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

PAUSE_KEY = "payments_paused"
HELD_DETAIL = {"reason": "payments are paused"}  # the event of a payment accepted while paused
MAX_REASON_LENGTH = 500
# A submission still unconfirmed after this long needs the reconciler's attention.
UNKNOWN_AFTER = timedelta(minutes=2)


@dataclass(frozen=True)
class PauseState:
    paused: bool
    since: datetime | None
    by: str | None
    reason: str | None
    changed: bool = False


@dataclass(frozen=True)
class EngineStatus:
    pause: PauseState
    held: int
    awaiting_signatures: int
    submitted_unconfirmed: int
    unknown: int


def is_paused(uow: UnitOfWork, *, hold: bool = False) -> bool:
    """True when payments are paused, or when the switch cannot be read (fail closed). ``hold`` keeps
    the switch from changing until this unit of work ends (PostgreSQL share lock)."""
    try:
        value = uow.control.value(PAUSE_KEY, hold=hold)
        return bool(value.get("paused")) if value is not None else False
    except Exception:
        log.exception("cannot read the pause switch; treating payments as paused")
        return True


def read_pause_state(uow: UnitOfWork, *, hold: bool = False) -> PauseState:
    stored = uow.control.get(PAUSE_KEY, hold=hold)
    if stored is None:
        return PauseState(paused=False, since=None, by=None, reason=None)
    return PauseState(
        paused=bool(stored.value.get("paused")),
        since=stored.updated_at,
        by=stored.updated_by,
        reason=stored.reason,
    )


def pause_payments(uow_factory: Callable[[], UnitOfWork], actor: Actor, reason: str) -> PauseState:
    return _switch(uow_factory, actor, Action.PAUSE, reason, paused=True)


def resume_payments(uow_factory: Callable[[], UnitOfWork], actor: Actor, reason: str | None) -> PauseState:
    return _switch(uow_factory, actor, Action.RESUME, reason, paused=False)


def _switch(
    uow_factory: Callable[[], UnitOfWork], actor: Actor, action: Action, reason: str | None, *, paused: bool
) -> PauseState:
    authorise(actor, action)
    reason = _clean_reason(reason, required=paused)
    with uow_factory() as uow:
        current = read_pause_state(uow)
        if current.paused == paused:
            return current  # already so: nothing changes, nothing to audit
        uow.control.put(PAUSE_KEY, {"paused": paused}, by=actor.name, reason=reason)
        uow.audit.record(actor=actor.name, role=actor.role.value, action=action.value, reason=reason)
        state = read_pause_state(uow)
        uow.commit()
    log.info("payments %s by %s: %s", "paused" if paused else "resumed", actor.name, reason or "-")
    return PauseState(paused=state.paused, since=state.since, by=state.by, reason=state.reason, changed=True)


def _clean_reason(reason: str | None, *, required: bool) -> str | None:
    reason = (reason or "").strip() or None
    if reason is None and required:
        raise ValidationError("say why: a reason is required", code="reason_required", field="reason")
    if reason is not None and len(reason) > MAX_REASON_LENGTH:
        raise ValidationError(
            f"the reason is longer than {MAX_REASON_LENGTH} characters",
            code="reason_too_long",
            field="reason",
        )
    return reason


def engine_status(uow_factory: Callable[[], UnitOfWork]) -> EngineStatus:
    """The pause switch and the counts an on-call engineer needs first."""
    with uow_factory() as uow:
        pause = read_pause_state(uow)
        counts: dict[str, int] = dict(
            uow.connection.execute(
                select(transactions.c.status, func.count())
                .where(
                    transactions.c.status.in_(
                        [PaymentStatus.HELD, PaymentStatus.AWAITING_SIGNATURES, PaymentStatus.SUBMITTED]
                    )
                )
                .group_by(transactions.c.status)
            ).all()
        )
        unknown = uow.connection.execute(
            select(func.count()).where(
                transactions.c.status == PaymentStatus.SUBMITTED,
                transactions.c.submitted_at < utcnow() - UNKNOWN_AFTER,
            )
        ).scalar_one()
    return EngineStatus(
        pause=pause,
        held=counts.get(PaymentStatus.HELD, 0),
        awaiting_signatures=counts.get(PaymentStatus.AWAITING_SIGNATURES, 0),
        submitted_unconfirmed=counts.get(PaymentStatus.SUBMITTED, 0),
        unknown=unknown,
    )
