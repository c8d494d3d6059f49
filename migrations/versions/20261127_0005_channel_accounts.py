"""Channel accounts: extra transaction sources, leased to one transaction at a time.

Revision ID: 0005_channel_accounts
Revises: 0004_payment_lifecycle
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from paycrypt.core.storage.types import UTCDateTime

revision = "0005_channel_accounts"
down_revision = "0004_payment_lifecycle"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "channel_accounts",
        sa.Column("account_id", sa.String(56), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("leased_to", sa.String(36), nullable=True),
        sa.Column("lease_until", UTCDateTime, nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("account_id", name="pk_channel_accounts"),
    )
    op.create_index("ix_channel_accounts_status_lease_until", "channel_accounts", ["status", "lease_until"])
    with op.batch_alter_table("transactions") as batch:
        batch.add_column(sa.Column("channel_account", sa.String(56), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("transactions") as batch:
        batch.drop_column("channel_account")
    op.drop_index("ix_channel_accounts_status_lease_until", table_name="channel_accounts")
    op.drop_table("channel_accounts")
