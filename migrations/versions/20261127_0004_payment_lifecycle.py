"""Payment lifecycle: worker leases, attempts, time bounds, request fingerprint, and the event history.

Revision ID: 0004_payment_lifecycle
Revises: 0003_limit_usage
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from paycrypt.core.storage.types import UTCDateTime

revision = "0004_payment_lifecycle"
down_revision = "0003_limit_usage"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("transactions") as batch:
        batch.add_column(sa.Column("operation", sa.String(16), nullable=False, server_default="payment"))
        batch.add_column(sa.Column("request_hash", sa.String(64), nullable=False, server_default=""))
        batch.add_column(sa.Column("limit_day", sa.String(10), nullable=True))
        batch.add_column(sa.Column("attempts", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("max_time", UTCDateTime, nullable=True))
        batch.add_column(sa.Column("lease_owner", sa.String(64), nullable=True))
        batch.add_column(sa.Column("lease_until", UTCDateTime, nullable=True))
    op.create_table(
        "payment_events",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("payment_id", sa.String(36), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("detail", sa.JSON, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_payment_events"),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["transactions.id"],
            name="fk_payment_events_payment_id_transactions",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_payment_events_payment_id_at", "payment_events", ["payment_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_payment_events_payment_id_at", table_name="payment_events")
    op.drop_table("payment_events")
    with op.batch_alter_table("transactions") as batch:
        for column in (
            "lease_until",
            "lease_owner",
            "max_time",
            "attempts",
            "limit_day",
            "request_hash",
            "operation",
        ):
            batch.drop_column(column)
