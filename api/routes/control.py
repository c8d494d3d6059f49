"""The global payment switch: `POST /api/control/pause|resume`, `GET /api/control/status`.

The same core functions as `paycrypt pause|resume|status`; the token's subject is the actor in the
audit log and its role scope is what core/access.py authorises.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from paycrypt.api.deps import Api, authorised
from paycrypt.api.routes.common import AUTH, COMMON, errors
from paycrypt.api.schemas import PauseIn, PauseOut, ResumeIn, StatusOut
from paycrypt.api.security import ROLE_SCOPES, Principal
from paycrypt.core.access import Actor
from paycrypt.core.control import PauseState, engine_status, pause_payments, resume_payments
from paycrypt.core.errors import PermissionDenied

router = APIRouter(prefix="/api/control", tags=["control"], responses=errors(*COMMON, *AUTH))
with_role = authorised("control", *ROLE_SCOPES)


def _actor(principal: Principal) -> Actor:
    role = principal.role
    if role is None:  # cannot happen past the guard, which asks for a role scope
        raise PermissionDenied("this token has no role", code="insufficient_scope")
    return Actor(name=principal.subject, role=role)


def _state(state: PauseState) -> PauseOut:
    return PauseOut(
        paused=state.paused,
        since=state.since.isoformat() if state.since else None,
        by=state.by,
        reason=state.reason,
        changed=state.changed,
    )


@router.post("/pause", response_model=PauseOut)
def pause(body: PauseIn, principal: Annotated[Principal, Depends(with_role)], api: Api) -> PauseOut:
    """Hold every new payment; nothing is signed or sent until resumed (role ops or admin)."""
    return _state(pause_payments(api.container.uow_factory, _actor(principal), body.reason))


@router.post("/resume", response_model=PauseOut)
def resume(
    principal: Annotated[Principal, Depends(with_role)],
    api: Api,
    body: ResumeIn | None = None,
) -> PauseOut:
    """Let held and new payments go out again (role ops or admin)."""
    reason = body.reason if body is not None else None
    return _state(resume_payments(api.container.uow_factory, _actor(principal), reason))


@router.get("/status", response_model=StatusOut)
def status(principal: Annotated[Principal, Depends(with_role)], api: Api) -> StatusOut:
    """The pause switch and the payments waiting or in flight (any role)."""
    report = engine_status(api.container.uow_factory)
    return StatusOut(
        pause=_state(report.pause),
        held=report.held,
        awaiting_signatures=report.awaiting_signatures,
        submitted_unconfirmed=report.submitted_unconfirmed,
        unknown=report.unknown,
    )
