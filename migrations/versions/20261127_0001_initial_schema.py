"""Initial schema: stellar_tags, transactions, audit_log, control_state.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from paycrypt.core.storage.types import UTCDateTime

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stellar_tags",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("tag", sa.String(32), nullable=False),
        sa.Column("account_id", sa.String(69), nullable=False),
        sa.Column("memo_type", sa.String(8), nullable=True),
        sa.Column("memo", sa.String(64), nullable=True),
        sa.Column("custodial", sa.Boolean, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_stellar_tags"),
        sa.UniqueConstraint("tag", name="uq_stellar_tags_tag"),
        sa.CheckConstraint("memo_type IN ('text', 'id', 'hash')", name="ck_stellar_tags_memo_type"),
    )
    op.create_index("ix_stellar_tags_account_id", "stellar_tags", ["account_id"])

    op.create_table(
        "transactions",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("source_tag", sa.String(32), nullable=True),
        sa.Column("source_account", sa.String(69), nullable=False),
        sa.Column("destination", sa.String(255), nullable=False),
        sa.Column("destination_tag", sa.String(32), nullable=True),
        sa.Column("destination_account", sa.String(69), nullable=False),
        sa.Column("asset_code", sa.String(12), nullable=True),
        sa.Column("asset_issuer", sa.String(56), nullable=True),
        sa.Column("amount_stroops", sa.BigInteger, nullable=False),
        sa.Column("fee_stroops", sa.BigInteger, nullable=True),
        sa.Column("memo_type", sa.String(8), nullable=True),
        sa.Column("memo", sa.String(64), nullable=True),
        sa.Column("tx_hash", sa.String(64), nullable=True),
        sa.Column("envelope_xdr", sa.Text, nullable=True),
        sa.Column("ledger", sa.BigInteger, nullable=True),
        sa.Column("result_codes", sa.JSON, nullable=True),
        sa.Column("error_code", sa.String(64), nullable=True),
        sa.Column("error_message", sa.Text, nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("submitted_at", UTCDateTime, nullable=True),
        sa.Column("completed_at", UTCDateTime, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_transactions"),
        sa.CheckConstraint("amount_stroops > 0", name="ck_transactions_amount_positive"),
    )
    op.create_index("uq_transactions_idempotency_key", "transactions", ["idempotency_key"], unique=True)
    op.create_index("ix_transactions_source_tag_created_at", "transactions", ["source_tag", "created_at"])
    op.create_index(
        "ix_transactions_destination_tag_created_at", "transactions", ["destination_tag", "created_at"]
    )
    op.create_index("ix_transactions_status_created_at", "transactions", ["status", "created_at"])
    op.create_index("ix_transactions_tx_hash", "transactions", ["tx_hash"])

    op.create_table(
        "audit_log",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("role", sa.String(32), nullable=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("details", sa.JSON, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_action_at", "audit_log", ["action", "at"])

    op.create_table(
        "control_state",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.JSON, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("updated_by", sa.String(128), nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("key", name="pk_control_state"),
    )


def downgrade() -> None:
    op.drop_table("control_state")
    op.drop_index("ix_audit_log_action_at", table_name="audit_log")
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_index("ix_transactions_tx_hash", table_name="transactions")
    op.drop_index("ix_transactions_status_created_at", table_name="transactions")
    op.drop_index("ix_transactions_destination_tag_created_at", table_name="transactions")
    op.drop_index("ix_transactions_source_tag_created_at", table_name="transactions")
    op.drop_index("uq_transactions_idempotency_key", table_name="transactions")
    op.drop_table("transactions")
    op.drop_index("ix_stellar_tags_account_id", table_name="stellar_tags")
    op.drop_table("stellar_tags")
