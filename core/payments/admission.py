"""PostgreSQL: a new payment counted against today's limits and stored in one statement.

The general way to store an accepted payment is a transaction of five statements and two more round trips
(BEGIN, COMMIT): read the pause switch, add to the tag's counter, add to the global counter, store the
payment and its first events. This module does the same in one statement, run in autocommit so that it is
its own transaction: one round trip, all of it or none of it.

The statement locks today's counter rows for the tag and for the service, the tag's first (the order every
other writer of those rows uses, so no deadlock), checks both caps against what they hold once locked, adds
the payment to both, reads the pause switch and stores the payment with its events, ``held`` if paused.

It answers only the common case. When a counter row for today does not exist yet, or the payment does not
fit, it writes nothing and says so, and the caller takes the general way, which creates the rows and names
the limit that refused the payment.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import TextClause, bindparam, text
from sqlalchemy.dialects import postgresql

from paycrypt.core.control import HELD_DETAIL, PAUSE_KEY
from paycrypt.core.limits import GLOBAL_SCOPE, PaymentLimits, tag_scope
from paycrypt.core.payment_status import PaymentStatus
from paycrypt.core.payments.model import Payment
from paycrypt.core.payments.repository import new_payment
from paycrypt.core.storage.tables import transactions
from paycrypt.core.storage.unit_of_work import UnitOfWork

_DIALECT = postgresql.dialect()
# The parameters every admission sends alike.
_FIXED = {
    "a_global_scope": GLOBAL_SCOPE,
    "a_pause_key": PAUSE_KEY,
    "a_received": PaymentStatus.RECEIVED.value,
    "a_held": PaymentStatus.HELD.value,
    "a_held_detail": json.dumps(HELD_DETAIL),
}


def admit_at_once(uow: UnitOfWork, limits: PaymentLimits, values: Mapping[str, Any]) -> Payment | None:
    """Stores the new payment ``values`` (every column but ``status``; ``limit_day`` names the day it counts
    against) if it fits today's limits, with status received, or held when payments are paused.

    None when this statement cannot decide: nothing was written, and the caller must take the general way.
    PostgreSQL only; ``uow`` should be a one-statement unit of work, which keeps the write as it runs."""
    row = {**values, "updated_at": values["created_at"]}
    statement = _admission(frozenset(row))
    found = uow.connection.execute(
        statement,
        {
            **row,
            "a_day": values["limit_day"],
            "a_tag_scope": tag_scope(values["source_tag"]),
            "a_tag_cap": limits.tag_daily_stroops,
            "a_tag_count": limits.tag_daily_count,
            "a_global_cap": limits.global_daily_stroops,
            **_FIXED,
        },
    ).one()
    stored, paused = found
    if not stored:
        return None
    status = PaymentStatus.HELD if paused else PaymentStatus.RECEIVED
    return new_payment({**values, "status": status.value})


@functools.cache
def _admission(columns: frozenset[str]) -> TextClause:
    """The statement for a payment with ``columns``, built once per set of columns (the service always
    gives the same). Every value is cast to its column's type, so PostgreSQL never has to guess one."""
    names = sorted(columns)
    casts = ", ".join(f"CAST(:{name} AS {transactions.c[name].type.compile(_DIALECT)})" for name in names)
    # Column names come from the table itself (an unknown name fails the lookup above), never from input.
    sql = f"""
WITH locked AS (
    SELECT scope, amount_stroops, count FROM limit_usage
    WHERE day = :a_day AND scope IN (:a_tag_scope, :a_global_scope)
    ORDER BY scope = :a_global_scope
    FOR UPDATE
), verdict AS (
    SELECT count(*) = 2 AND coalesce(bool_and(CASE
        WHEN scope = :a_global_scope THEN amount_stroops + :amount_stroops <= :a_global_cap
        ELSE amount_stroops + :amount_stroops <= :a_tag_cap AND count + 1 <= :a_tag_count
    END), false) AS fits
    FROM locked
), switch AS (
    SELECT coalesce(
        (SELECT CAST(value ->> 'paused' AS boolean) FROM control_state WHERE key = :a_pause_key), false
    ) AS paused
), counted AS (
    UPDATE limit_usage
    SET amount_stroops = limit_usage.amount_stroops + :amount_stroops, count = limit_usage.count + 1
    FROM verdict
    WHERE verdict.fits AND limit_usage.day = :a_day AND limit_usage.scope IN (:a_tag_scope, :a_global_scope)
), stored AS (
    INSERT INTO transactions ({", ".join(names)}, status)
    SELECT {casts}, CASE WHEN switch.paused THEN :a_held ELSE :a_received END
    FROM verdict, switch
    WHERE verdict.fits
    RETURNING id, status, created_at
), events AS (
    INSERT INTO payment_events (payment_id, status, at, detail)
    SELECT stored.id, event.status, stored.created_at, CAST(event.detail AS json)
    FROM stored CROSS JOIN (VALUES (1, :a_received, NULL), (2, :a_held, :a_held_detail))
        AS event (position, status, detail)
    WHERE event.position = 1 OR stored.status = :a_held
    ORDER BY event.position
)
SELECT verdict.fits, switch.paused FROM verdict, switch
"""  # noqa: S608
    binds = [bindparam(name, type_=transactions.c[name].type) for name in names]
    return text(sql).bindparams(*binds)
