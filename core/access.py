"""Who may do what: roles and the control actions each one may take."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from paycrypt.core.errors import PermissionDenied, ValidationError


class Role(StrEnum):
    VIEWER = "viewer"
    OPS = "ops"  # on-call engineers: pause, resume, rollback, acknowledge alerts
    MANAGER = "manager"  # deployment sign-off
    ADMIN = "admin"  # everything


class Action(StrEnum):
    PAUSE = "pause"
    RESUME = "resume"
    ROLLBACK = "rollback"
    SIGN_OFF = "sign_off"
    ALERT_ACK = "alert_ack"


ALLOWED: dict[Action, frozenset[Role]] = {
    Action.PAUSE: frozenset({Role.OPS, Role.ADMIN}),
    Action.RESUME: frozenset({Role.OPS, Role.ADMIN}),
    Action.ROLLBACK: frozenset({Role.OPS, Role.ADMIN}),
    Action.ALERT_ACK: frozenset({Role.OPS, Role.ADMIN}),
    Action.SIGN_OFF: frozenset({Role.MANAGER, Role.ADMIN}),
}


@dataclass(frozen=True)
class Actor:
    """The person or client behind a control action, as the audit log records them."""

    name: str
    role: Role

    def __post_init__(self) -> None:
        if not self.name.strip() or len(self.name) > 128:
            raise ValidationError(
                "the actor needs a name of 1-128 characters", code="actor_invalid", field="actor"
            )


def authorise(actor: Actor, action: Action) -> None:
    if actor.role not in ALLOWED[action]:
        raise PermissionDenied(
            f"{actor.name} has role {actor.role.value}, which may not {action.value.replace('_', ' ')}",
            code="forbidden",
        )
