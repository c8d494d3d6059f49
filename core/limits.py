"""Payment limits: per payment, per tag per day (amount and count), and a global daily cap.

Daily usage lives in counters updated by a conditional UPDATE in the same unit of work that stores the
payment: the row count says whether the payment fit, so two concurrent payments can never both slip under
a limit (PostgreSQL re-checks the condition after waiting on the row; SQLite serialises writers).
A payment that fails or expires gives its usage back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import BigInteger, Update, and_, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from paycrypt.core.errors import PayCryptError, ValidationError
from paycrypt.core.storage.tables import limit_usage
from paycrypt.core.storage.unit_of_work import UnitOfWork
from paycrypt.core.values.amount import format_stroops

GLOBAL_SCOPE = "global"


class LimitExceeded(PayCryptError):
    code = "limit_exceeded"


@dataclass(frozen=True)
class PaymentLimits:
    """The limits in force, in stroops of the asset paid (counts are payments)."""

    min_stroops: int
    max_stroops: int
    tag_daily_stroops: int
    tag_daily_count: int
    global_daily_stroops: int

    def check_amount(self, stroops: int) -> None:
        if stroops < self.min_stroops:
            raise ValidationError(
                f"amount is below the minimum payment of {format_stroops(self.min_stroops)}",
                code="amount_below_minimum",
                field="amount",
            )
        if stroops > self.max_stroops:
            raise ValidationError(
                f"amount is above the maximum payment of {format_stroops(self.max_stroops)}",
                code="amount_above_maximum",
                field="amount",
            )

    def as_dict(self) -> dict[str, str | int]:
        return {
            "min_amount": format_stroops(self.min_stroops),
            "max_amount": format_stroops(self.max_stroops),
            "tag_daily_amount": format_stroops(self.tag_daily_stroops),
            "tag_daily_count": self.tag_daily_count,
            "global_daily_amount": format_stroops(self.global_daily_stroops),
        }


@dataclass(frozen=True)
class Headroom:
    """What is left today for a tag, and globally."""

    tag_stroops: int
    tag_count: int
    global_stroops: int


def tag_scope(tag: str) -> str:
    return f"tag:{tag}"


def reserve_daily_usage(uow: UnitOfWork, limits: PaymentLimits, tag: str, stroops: int, day: date) -> None:
    """Counts the payment against today's limits, or raises LimitExceeded and counts nothing."""
    if not _add(uow, day, tag_scope(tag), stroops, limits.tag_daily_stroops, limits.tag_daily_count):
        left = headroom(uow, limits, tag, day)
        if left.tag_count <= 0:
            raise LimitExceeded(
                f"{tag} has made its {limits.tag_daily_count} payments for today", code="daily_count_exceeded"
            )
        raise LimitExceeded(
            f"{tag} can send {format_stroops(left.tag_stroops)} more today "
            f"(daily limit {format_stroops(limits.tag_daily_stroops)})",
            code="daily_limit_exceeded",
        )
    if not _add(uow, day, GLOBAL_SCOPE, stroops, limits.global_daily_stroops, None):
        raise LimitExceeded(
            f"the service's daily cap of {format_stroops(limits.global_daily_stroops)} would be exceeded",
            code="global_daily_cap_exceeded",
        )


def release_daily_usage(uow: UnitOfWork, tag: str, stroops: int, day: date) -> None:
    """Gives back the usage of a payment that never went out (failed or expired)."""
    for scope in (tag_scope(tag), GLOBAL_SCOPE):
        uow.connection.execute(
            update(limit_usage)
            .where(limit_usage.c.day == day.isoformat(), limit_usage.c.scope == scope)
            .values(
                amount_stroops=limit_usage.c.amount_stroops - stroops,
                count=limit_usage.c.count - 1,
            )
        )


def headroom(uow: UnitOfWork, limits: PaymentLimits, tag: str, day: date) -> Headroom:
    rows = dict(
        (row.scope, (row.amount_stroops, row.count))
        for row in uow.connection.execute(
            select(limit_usage.c.scope, limit_usage.c.amount_stroops, limit_usage.c.count).where(
                limit_usage.c.day == day.isoformat(),
                limit_usage.c.scope.in_([tag_scope(tag), GLOBAL_SCOPE]),
            )
        )
    )
    tag_used, tag_count = rows.get(tag_scope(tag), (0, 0))
    global_used, _ = rows.get(GLOBAL_SCOPE, (0, 0))
    return Headroom(
        tag_stroops=max(0, limits.tag_daily_stroops - tag_used),
        tag_count=max(0, limits.tag_daily_count - tag_count),
        global_stroops=max(0, limits.global_daily_stroops - global_used),
    )


def _add(uow: UnitOfWork, day: date, scope: str, stroops: int, cap: int, max_count: int | None) -> bool:
    """Adds to a counter only if it stays within its caps; True when it did."""
    params: dict[str, object] = {
        "b_day": day.isoformat(),
        "b_scope": scope,
        "b_stroops": stroops,
        "b_cap": cap,
    }
    statement = _ADD
    if max_count is not None:
        statement, params["b_max_count"] = _ADD_COUNTED, max_count
    if uow.connection.execute(statement, params).rowcount == 1:
        return True
    # No row yet for today (or over the cap): create the row if missing, then try once more.
    insert = pg_insert if uow.dialect == "postgresql" else sqlite_insert
    uow.connection.execute(
        insert(limit_usage)
        .values(day=day.isoformat(), scope=scope, amount_stroops=0, count=0)
        .on_conflict_do_nothing(index_elements=["day", "scope"])
    )
    return uow.connection.execute(statement, params).rowcount == 1


def _adding(*, counted: bool) -> Update:
    """UPDATE of one day's counter that adds a payment only while it stays within the caps. Built once:
    building it costs more than running it."""
    u = limit_usage.c
    stroops = bindparam("b_stroops", type_=BigInteger)
    conditions = [
        u.day == bindparam("b_day"),
        u.scope == bindparam("b_scope"),
        u.amount_stroops + stroops <= bindparam("b_cap", type_=BigInteger),
    ]
    if counted:
        conditions.append(u.count + 1 <= bindparam("b_max_count", type_=BigInteger))
    return (
        update(limit_usage)
        .where(and_(*conditions))
        .values(amount_stroops=u.amount_stroops + stroops, count=u.count + 1)
    )


_ADD = _adding(counted=False)
_ADD_COUNTED = _adding(counted=True)
