"""Channel accounts remember their last used sequence number, so a worker need not ask Horizon each time.

Revision ID: 0006_channel_sequence
Revises: 0005_channel_accounts
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_channel_sequence"
down_revision = "0005_channel_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("channel_accounts") as batch:
        batch.add_column(sa.Column("sequence", sa.BigInteger, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("channel_accounts") as batch:
        batch.drop_column("sequence")
