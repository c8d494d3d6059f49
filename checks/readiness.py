"""Readiness: can this process serve? The database answers, migrations are at head, Horizon is reachable.

`GET /health/ready` renders this; each part is checked on its own so the answer names what is failing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from paycrypt.core.errors import PayCryptError
from paycrypt.core.horizon import HorizonPort
from paycrypt.core.storage import schema

log = logging.getLogger(__name__)

PARTS = ("database", "migrations", "horizon")


@dataclass(frozen=True)
class Readiness:
    checks: dict[str, str]  # part -> "ok" or what is wrong, in a few words (never a secret or a trace)

    @property
    def ready(self) -> bool:
        return all(state == "ok" for state in self.checks.values())

    @property
    def failing(self) -> list[str]:
        return [part for part, state in self.checks.items() if state != "ok"]


def check_readiness(engine: Engine, horizon: HorizonPort) -> Readiness:
    checks = {"database": _database(engine)}
    checks["migrations"] = _migrations(engine) if checks["database"] == "ok" else "unknown: no database"
    checks["horizon"] = _horizon(horizon)
    return Readiness(checks)


def _database(engine: Engine) -> str:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as err:
        log.warning("readiness: database unreachable: %s", type(err).__name__)
        return "unreachable"
    return "ok"


def _migrations(engine: Engine) -> str:
    try:
        state = schema.status(engine)
    except (PayCryptError, SQLAlchemyError) as err:
        log.warning("readiness: cannot read the migration state: %s", type(err).__name__)
        return "unknown"
    if state.at_head:
        return "ok"
    return f"behind: {len(state.pending)} pending" if state.pending else "ahead of this code"


def _horizon(horizon: HorizonPort) -> str:
    # A network call; no database transaction is open here.
    try:
        horizon.latest_ledger()
    except PayCryptError as err:
        log.warning("readiness: horizon unreachable: %s", err.code)
        return "unreachable"
    return "ok"
