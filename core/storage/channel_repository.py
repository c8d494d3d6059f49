"""Channel accounts in the database: counting, leasing and releasing them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, delete, func, insert, or_, select, update
from sqlalchemy.engine import Connection

from paycrypt.core.storage.tables import channel_accounts as c
from paycrypt.core.storage.types import utcnow


class ChannelRepository:
    def __init__(self, connection: Connection):
        self._conn = connection

    def count(self, status: str = "ready") -> int:
        return int(self._conn.execute(select(func.count()).where(c.c.status == status)).scalar_one())

    def leased(self) -> int:
        now = utcnow()
        return int(
            self._conn.execute(
                select(func.count()).where(
                    c.c.status == "ready", c.c.lease_until.is_not(None), c.c.lease_until >= now
                )
            ).scalar_one()
        )

    def add_pending(self, account_ids: list[str]) -> None:
        now = utcnow()
        self._conn.execute(
            insert(c), [{"account_id": a, "status": "pending", "created_at": now} for a in account_ids]
        )

    def mark(self, account_ids: list[str], status: str, *, sequence: int | None = None) -> None:
        """Sets the channels' status; ``sequence``: their sequence number on the ledger, when known."""
        self._conn.execute(
            update(c).where(c.c.account_id.in_(account_ids)).values(status=status, sequence=sequence)
        )

    def drop(self, account_ids: list[str]) -> None:
        self._conn.execute(delete(c).where(c.c.account_id.in_(account_ids)))

    def lease(self, payment_id: str, until: datetime) -> tuple[str, int | None] | None:
        """A free channel leased to the payment until ``until``, with the last sequence number it used on
        the ledger (None when unknown); None when every channel is busy."""
        now = utcnow()
        free = or_(c.c.lease_until.is_(None), c.c.lease_until < now)
        query = (
            select(c.c.account_id, c.c.sequence)
            .where(c.c.status == "ready", free)
            .order_by(c.c.lease_until)
            .limit(1)
        )
        if self._conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        row = self._conn.execute(query).first()
        if row is None:
            return None
        taken = self._conn.execute(
            update(c)
            .where(c.c.account_id == row.account_id, free)
            .values(leased_to=payment_id, lease_until=until)
        ).rowcount
        return (row.account_id, row.sequence) if taken == 1 else None

    def lease_many(self, payment_ids: list[str], until: datetime) -> dict[str, tuple[str, int | None]]:
        """Free channels leased to as many of the payments as there are free channels, in one go: payment
        id -> (channel, its last sequence number or None)."""
        if not payment_ids:
            return {}
        now = utcnow()
        free = or_(c.c.lease_until.is_(None), c.c.lease_until < now)
        query = (
            select(c.c.account_id, c.c.sequence)
            .where(c.c.status == "ready", free)
            .order_by(c.c.lease_until)
            .limit(len(payment_ids))
        )
        if self._conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = self._conn.execute(query).all()
        if not rows:
            return {}
        pairs = list(zip(payment_ids, rows, strict=False))
        taken = self._conn.execute(
            update(c)
            .where(c.c.account_id == bindparam("b_account"), free)
            .values(leased_to=bindparam("b_payment"), lease_until=until),
            [{"b_account": row.account_id, "b_payment": payment_id} for payment_id, row in pairs],
        ).rowcount
        if taken != len(pairs):
            # Rows are locked (PostgreSQL) or the database is (SQLite), so this means a broken invariant.
            raise RuntimeError("channel leases changed under a locked read")
        return {payment_id: (row.account_id, row.sequence) for payment_id, row in pairs}

    def release_many(self, releases: list[tuple[str, str, int | None]]) -> None:
        """Frees channels: (channel, payment id, sequence consumed or None), as :meth:`release`."""
        if not releases:
            return
        self._conn.execute(
            update(c)
            .where(c.c.account_id == bindparam("b_account"), c.c.leased_to == bindparam("b_payment"))
            .values(leased_to=None, lease_until=None, sequence=bindparam("b_sequence")),
            [{"b_account": a, "b_payment": p, "b_sequence": s} for a, p, s in releases],
        )

    def extend(self, account_id: str, payment_id: str, until: datetime) -> None:
        self._conn.execute(
            update(c)
            .where(c.c.account_id == account_id, c.c.leased_to == payment_id)
            .values(lease_until=until)
        )

    def release(self, account_id: str, payment_id: str, *, sequence: int | None = None) -> None:
        """Frees the channel. ``sequence``: the number its envelope consumed on the ledger; None forgets it
        (the envelope never landed, or it is unknown), so the next user asks Horizon."""
        self._conn.execute(
            update(c)
            .where(c.c.account_id == account_id, c.c.leased_to == payment_id)
            .values(leased_to=None, lease_until=None, sequence=sequence)
        )
