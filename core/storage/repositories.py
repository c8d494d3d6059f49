"""Repositories over the shared tables; each works inside the connection of a unit of work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Connection

from paycrypt.core.storage.tables import audit_log, control_state
from paycrypt.core.storage.types import utcnow


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    role: str | None
    action: str
    reason: str | None
    details: dict[str, Any] | None


class AuditLogRepository:
    def __init__(self, connection: Connection):
        self._conn = connection

    def record(
        self,
        *,
        actor: str,
        action: str,
        reason: str | None = None,
        role: str | None = None,
        details: dict[str, Any] | None = None,
        at: datetime | None = None,
    ) -> int:
        result = self._conn.execute(
            insert(audit_log)
            .values(at=at or utcnow(), actor=actor, role=role, action=action, reason=reason, details=details)
            .returning(audit_log.c.id)
        )
        return int(result.scalar_one())

    def recent(self, limit: int = 100, action: str | None = None) -> list[AuditEntry]:
        query = select(audit_log).order_by(audit_log.c.at.desc(), audit_log.c.id.desc()).limit(limit)
        if action is not None:
            query = query.where(audit_log.c.action == action)
        return [AuditEntry(**row._mapping) for row in self._conn.execute(query)]


@dataclass(frozen=True)
class ControlValue:
    key: str
    value: Any
    updated_at: datetime
    updated_by: str
    reason: str | None


# Built once: every payment reads the pause switch.
_CONTROL = select(control_state).where(control_state.c.key == bindparam("key"))
_CONTROL_HELD = _CONTROL.with_for_update(read=True)
_CONTROL_VALUE = select(control_state.c.value).where(control_state.c.key == bindparam("key"))
_CONTROL_VALUE_HELD = _CONTROL_VALUE.with_for_update(read=True)


class ControlStateRepository:
    def __init__(self, connection: Connection):
        self._conn = connection

    def get(self, key: str, *, hold: bool = False) -> ControlValue | None:
        """``hold``: on PostgreSQL keep a share lock on the row until the unit of work ends, so a change
        of the switch waits for work decided under its old value."""
        query = _CONTROL_HELD if hold and self._conn.dialect.name == "postgresql" else _CONTROL
        row = self._conn.execute(query, {"key": key}).first()
        return ControlValue(**row._mapping) if row is not None else None

    def value(self, key: str, *, hold: bool = False) -> Any | None:
        """Only the value of ``key`` (None when unset); ``hold`` as in :meth:`get`."""
        query = _CONTROL_VALUE_HELD if hold and self._conn.dialect.name == "postgresql" else _CONTROL_VALUE
        row = self._conn.execute(query, {"key": key}).first()
        return row[0] if row is not None else None

    def put(self, key: str, value: Any, *, by: str, reason: str | None) -> None:
        values = {"value": value, "updated_at": utcnow(), "updated_by": by, "reason": reason}
        changed = self._conn.execute(update(control_state).where(control_state.c.key == key).values(**values))
        if changed.rowcount == 0:
            self._conn.execute(insert(control_state).values(key=key, **values))
