"""Daily limit usage counters.

Revision ID: 0003_limit_usage
Revises: 0002_signing_keys
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_limit_usage"
down_revision = "0002_signing_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "limit_usage",
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("scope", sa.String(40), nullable=False),
        sa.Column("amount_stroops", sa.BigInteger, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("day", "scope", name="pk_limit_usage"),
    )


def downgrade() -> None:
    op.drop_table("limit_usage")
