"""Payments and their events in the database; every method works inside a unit of work's connection."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Insert, and_, bindparam, insert, literal, or_, select, text, update
from sqlalchemy.engine import Connection

from paycrypt.core.payment_status import PaymentStatus
from paycrypt.core.payments.model import Payment, PaymentEvent
from paycrypt.core.storage.tables import payment_events, transactions
from paycrypt.core.storage.types import utcnow
from paycrypt.core.values import Asset, Memo

t = transactions

_INSERT_PAYMENT = insert(t)
_INSERT_EVENT = insert(payment_events)
# PostgreSQL: many events in one statement, their columns sent as arrays; an executemany would send one
# statement per event.
_INSERT_EVENTS_UNNEST = text(
    "INSERT INTO payment_events (payment_id, status, at, detail) SELECT * FROM unnest("
    "CAST(:ids AS varchar[]), CAST(:statuses AS varchar[]),"
    " CAST(:ats AS timestamptz[]), CAST(:details AS json[]))"
)

# What a new row holds in the columns a new payment leaves unset.
_NEW_ROW: dict[str, Any] = {
    "tx_hash": None,
    "envelope_xdr": None,
    "ledger": None,
    "result_codes": None,
    "error_code": None,
    "error_message": None,
    "attempts": 0,
    "max_time": None,
    "channel_account": None,
    "submitted_at": None,
    "completed_at": None,
}


@functools.cache
def _insert_with_received_event(columns: frozenset[str]) -> Insert:
    """PostgreSQL: INSERT of a payment with ``columns``, and of its "received" event from what it returns.
    Built once per set of columns (the service always gives the same)."""
    new = (
        insert(t)
        .values({name: bindparam(name, type_=t.c[name].type) for name in sorted(columns)})
        .returning(t.c.id, t.c.created_at)
        .cte("new_payment")
    )
    received = select(new.c.id, literal(PaymentStatus.RECEIVED.value), new.c.created_at)
    return insert(payment_events).from_select(["payment_id", "status", "at"], received)


class PaymentRepository:
    def __init__(self, connection: Connection):
        self._conn = connection

    # --- reading ---------------------------------------------------------------------------------------

    def get(self, payment_id: str, *, for_update: bool = False) -> Payment | None:
        query = select(t).where(t.c.id == payment_id)
        if for_update and self._conn.dialect.name == "postgresql":
            query = query.with_for_update()
        row = self._conn.execute(query).first()
        return to_payment(row._mapping) if row is not None else None

    def by_idempotency_key(self, key: str) -> Payment | None:
        row = self._conn.execute(select(t).where(t.c.idempotency_key == key)).first()
        return to_payment(row._mapping) if row is not None else None

    def events(self, payment_id: str) -> list[PaymentEvent]:
        rows = self._conn.execute(
            select(payment_events.c.status, payment_events.c.at, payment_events.c.detail)
            .where(payment_events.c.payment_id == payment_id)
            .order_by(payment_events.c.at, payment_events.c.id)
        )
        return [PaymentEvent(status=PaymentStatus(r.status), at=r.at, detail=r.detail) for r in rows]

    # --- writing ---------------------------------------------------------------------------------------

    def add(self, values: Mapping[str, Any], *, detail: dict[str, Any] | None = None) -> Payment:
        """Stores a new payment (and its first events); returns it as stored, without reading it back."""
        now = values["created_at"]
        row = {**values, "updated_at": now}
        if self._conn.dialect.name == "postgresql":
            # The payment and its "received" event in one statement: one round trip fewer per payment.
            self._conn.execute(_insert_with_received_event(frozenset(row)), row)
        else:
            self._conn.execute(_INSERT_PAYMENT, row)
            received = PaymentStatus.RECEIVED.value
            self._conn.execute(
                _INSERT_EVENT, {"payment_id": values["id"], "status": received, "at": now, "detail": None}
            )
        if values["status"] != PaymentStatus.RECEIVED:
            self._event(values["id"], PaymentStatus(values["status"]), now, detail)
        return new_payment(values)

    def move(
        self,
        payment_id: str,
        status: PaymentStatus,
        *,
        expected: Iterable[PaymentStatus] | None = None,
        lease_owner: str | None = None,
        lease_owner_reset: bool = False,
        detail: dict[str, Any] | None = None,
        **fields: Any,
    ) -> bool:
        """Moves a payment to ``status`` (and records the event) only if it is still in an expected state
        and, when ``lease_owner`` is given, still leased to that worker. False when someone else moved it.
        ``lease_owner_reset`` frees the lease in the same write."""
        now = utcnow()
        if lease_owner_reset:
            fields.update(lease_owner=None, lease_until=None)
        conditions = [t.c.id == payment_id]
        if expected is not None:
            conditions.append(t.c.status.in_([s.value for s in expected]))
        if lease_owner is not None:
            conditions.append(t.c.lease_owner == lease_owner)
        if status.is_terminal:
            fields.setdefault("completed_at", now)
        changed = self._conn.execute(
            update(t).where(and_(*conditions)).values(status=status.value, updated_at=now, **fields)
        ).rowcount
        if changed != 1:
            return False
        self._event(payment_id, status, now, detail)
        return True

    def move_many(
        self,
        status: PaymentStatus,
        rows: Sequence[Mapping[str, Any]],
        *,
        expected: Iterable[PaymentStatus],
        lease_owner: str,
        passing_through: Sequence[PaymentStatus] = (),
        lease_owner_reset: bool = False,
        **common: Any,
    ) -> bool:
        """Moves many payments to ``status`` in one statement, all or none.

        Each row holds ``id``, an optional event ``detail`` and the same per-payment fields; ``common`` fields
        are the same for every payment. Every payment must still be in an ``expected`` state and leased to
        ``lease_owner``; when one is not, nothing is written and the caller moves them one by one.
        ``passing_through`` records intermediate states as events at the same time (signed, then
        submitted)."""
        if not rows:
            return True
        now = utcnow()
        if lease_owner_reset:
            common.update(lease_owner=None, lease_until=None)
        if status.is_terminal:
            common.setdefault("completed_at", now)
        per_row = sorted(k for k in rows[0] if k not in ("id", "detail"))
        statement = (
            update(t)
            .where(
                t.c.id == bindparam("b_id"),
                or_(*(t.c.status == s.value for s in expected)),  # (IN cannot expand in executemany)
                t.c.lease_owner == lease_owner,
            )
            .values(
                status=status.value,
                updated_at=now,
                **common,
                **{key: bindparam(f"b_{key}") for key in per_row},
            )
        )
        params = [{"b_id": row["id"], **{f"b_{key}": row[key] for key in per_row}} for row in rows]
        savepoint = self._conn.begin_nested()
        if self._conn.execute(statement, params).rowcount != len(rows):
            savepoint.rollback()
            return False
        savepoint.commit()
        events = [
            {"payment_id": row["id"], "status": step.value, "at": now, "detail": None}
            for row in rows
            for step in passing_through
        ]
        events += [
            {"payment_id": row["id"], "status": status.value, "at": now, "detail": row.get("detail")}
            for row in rows
        ]
        self._insert_events(events)
        return True

    def _insert_events(self, events: list[dict[str, Any]]) -> None:
        if self._conn.dialect.name != "postgresql" or len(events) < 2:
            self._conn.execute(_INSERT_EVENT, events)
            return
        self._conn.execute(
            _INSERT_EVENTS_UNNEST,
            {
                "ids": [e["payment_id"] for e in events],
                "statuses": [e["status"] for e in events],
                "ats": [e["at"] for e in events],
                "details": [None if e["detail"] is None else json.dumps(e["detail"]) for e in events],
            },
        )

    def _event(
        self, payment_id: str, status: PaymentStatus, at: datetime, detail: dict[str, Any] | None
    ) -> None:
        self._conn.execute(
            _INSERT_EVENT, {"payment_id": payment_id, "status": status.value, "at": at, "detail": detail}
        )

    # --- claiming work ---------------------------------------------------------------------------------

    def claim(
        self,
        owner: str,
        statuses: Iterable[PaymentStatus],
        *,
        lease: timedelta,
        limit: int,
        only_id: str | None = None,
    ) -> list[Payment]:
        """Leases up to ``limit`` payments in ``statuses`` whose lease is free or expired, oldest first.

        PostgreSQL: SELECT ... FOR UPDATE SKIP LOCKED, so workers never wait on each other's rows.
        SQLite: the unit of work already holds the write lock (BEGIN IMMEDIATE), so one worker at a time.
        """
        now = utcnow()
        free = or_(t.c.lease_until.is_(None), t.c.lease_until < now)
        query = (
            select(t.c.id)
            .where(t.c.status.in_([s.value for s in statuses]), free)
            .order_by(t.c.created_at)
            .limit(limit)
        )
        if only_id is not None:
            query = query.where(t.c.id == only_id)
        if self._conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        ids = list(self._conn.execute(query).scalars())
        if not ids:
            return []
        self._conn.execute(
            update(t)
            .where(t.c.id.in_(ids))
            .values(lease_owner=owner, lease_until=now + lease, updated_at=now)
        )
        rows = self._conn.execute(select(t).where(t.c.id.in_(ids)).order_by(t.c.created_at))
        return [to_payment(row._mapping) for row in rows]

    def release(self, payment_id: str, owner: str, *, retry_after: timedelta = timedelta(seconds=1)) -> None:
        """Gives the payment back; no worker takes it again before ``retry_after`` (no hot retry loop)."""
        self._conn.execute(
            update(t)
            .where(t.c.id == payment_id, t.c.lease_owner == owner)
            .values(lease_owner=None, lease_until=utcnow() + retry_after)
        )


def new_payment(values: Mapping[str, Any]) -> Payment:
    """The payment just stored from ``values``, without reading it back: what they leave unset is
    what a new row holds."""
    return to_payment({**_NEW_ROW, "updated_at": values["created_at"], **values})


def to_payment(row: Mapping[Any, Any]) -> Payment:
    asset = Asset(code=row["asset_code"], issuer=row["asset_issuer"]) if row["asset_code"] else Asset.native()
    memo = Memo.parse(row["memo"], row["memo_type"]) if row["memo_type"] else Memo.none()
    return Payment(
        id=row["id"],
        idempotency_key=row["idempotency_key"],
        status=PaymentStatus(row["status"]),
        operation=row["operation"],
        source_tag=row["source_tag"],
        source_account=row["source_account"],
        destination=row["destination"],
        destination_tag=row["destination_tag"],
        destination_account=row["destination_account"],
        asset=asset,
        amount_stroops=row["amount_stroops"],
        memo=memo,
        fee_stroops=row["fee_stroops"],
        tx_hash=row["tx_hash"],
        envelope_xdr=row["envelope_xdr"],
        ledger=row["ledger"],
        result_codes=row["result_codes"],
        error_code=row["error_code"],
        error_message=row["error_message"],
        request_hash=row["request_hash"],
        limit_day=row["limit_day"],
        attempts=row["attempts"],
        max_time=row["max_time"],
        channel_account=row["channel_account"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        submitted_at=row["submitted_at"],
        completed_at=row["completed_at"],
    )
