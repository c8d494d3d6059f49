"""Signing keys: encrypted seeds of the accounts PayCrypt signs for.

Revision ID: 0002_signing_keys
Revises: 0001_initial
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from paycrypt.core.storage.types import UTCDateTime

revision = "0002_signing_keys"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signing_keys",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(56), nullable=False),
        sa.Column("sealed_seed", sa.Text, nullable=False),
        sa.Column("master_key_id", sa.String(32), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_signing_keys"),
        sa.UniqueConstraint("account_id", name="uq_signing_keys_account_id"),
    )


def downgrade() -> None:
    op.drop_table("signing_keys")
