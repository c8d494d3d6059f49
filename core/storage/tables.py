"""Table definitions (SQLAlchemy Core): the schema as the code reads it.

Migrations under ``migrations/versions`` create and change these tables; a test checks that the migrated
database matches this metadata, so the two never drift apart.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from paycrypt.core.storage.types import UTCDateTime

# Named constraints: Alembic's batch mode on SQLite needs names to alter them, PostgreSQL reports them.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# A tag names a Stellar account (G... or muxed M...), with an optional memo for shared accounts.
stellar_tags = Table(
    "stellar_tags",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tag", String(32), nullable=False, unique=True),
    Column("account_id", String(69), nullable=False),
    Column("memo_type", String(8), nullable=True),
    Column("memo", String(64), nullable=True),
    Column("custodial", Boolean, nullable=False, default=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint("memo_type IN ('text', 'id', 'hash')", name="memo_type"),
    Index("ix_stellar_tags_account_id", "account_id"),
)

# Signing seeds PayCrypt holds, one per account, encrypted (Fernet) with PAYCRYPT_MASTER_KEY; never plain.
# master_key_id is a fingerprint of the key that sealed the row, so a rotation can find what to re-seal.
signing_keys = Table(
    "signing_keys",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", String(56), nullable=False, unique=True),
    Column("sealed_seed", Text, nullable=False),
    Column("master_key_id", String(32), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

# Every payment PayCrypt handles, from the request to its final ledger outcome. Money in stroops.
transactions = Table(
    "transactions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("idempotency_key", String(255), nullable=False),
    Column("status", String(24), nullable=False),
    Column("source_tag", String(32), nullable=True),
    Column("source_account", String(69), nullable=False),
    Column("destination", String(255), nullable=False),
    Column("destination_tag", String(32), nullable=True),
    Column("destination_account", String(69), nullable=False),
    Column("asset_code", String(12), nullable=True),
    Column("asset_issuer", String(56), nullable=True),
    Column("amount_stroops", BigInteger, nullable=False),
    Column("fee_stroops", BigInteger, nullable=True),
    Column("memo_type", String(8), nullable=True),
    Column("memo", String(64), nullable=True),
    Column("tx_hash", String(64), nullable=True),
    Column("envelope_xdr", Text, nullable=True),
    Column("ledger", BigInteger, nullable=True),
    Column("result_codes", JSON, nullable=True),
    Column("error_code", String(64), nullable=True),
    Column("error_message", Text, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("submitted_at", UTCDateTime, nullable=True),
    Column("completed_at", UTCDateTime, nullable=True),
    Column("operation", String(16), nullable=False, server_default="payment"),  # payment | create_account
    Column("request_hash", String(64), nullable=False, server_default=""),  # same key, other body: 409
    Column("limit_day", String(10), nullable=True),  # the UTC day its amount counts against
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("max_time", UTCDateTime, nullable=True),  # the envelope's upper time bound
    Column("lease_owner", String(64), nullable=True),  # the worker holding it, until lease_until
    Column("lease_until", UTCDateTime, nullable=True),
    Column("channel_account", String(56), nullable=True),  # the channel that sourced its envelope
    CheckConstraint("amount_stroops > 0", name="amount_positive"),
    Index("uq_transactions_idempotency_key", "idempotency_key", unique=True),
    Index("ix_transactions_source_tag_created_at", "source_tag", "created_at"),
    Index("ix_transactions_destination_tag_created_at", "destination_tag", "created_at"),
    Index("ix_transactions_status_created_at", "status", "created_at"),
    Index("ix_transactions_tx_hash", "tx_hash"),
)

# Every state a payment went through, with its time: history and latency are read from here.
payment_events = Table(
    "payment_events",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column(
        "payment_id",
        String(36),
        ForeignKey("transactions.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("status", String(24), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("detail", JSON, nullable=True),
    Index("ix_payment_events_payment_id_at", "payment_id", "at"),
)

# Channel accounts: transaction sources (sequence and fee) leased to one transaction at a time, so many
# payments from one funds account fit in one ledger. Their keys live sealed in signing_keys.
channel_accounts = Table(
    "channel_accounts",
    metadata,
    Column("account_id", String(56), primary_key=True),
    Column("status", String(16), nullable=False),  # pending (being created) | ready
    Column("leased_to", String(36), nullable=True),  # payment id
    Column("lease_until", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sequence", BigInteger, nullable=True),  # last sequence used on the ledger; NULL: ask Horizon
    Index("ix_channel_accounts_status_lease_until", "status", "lease_until"),
)

# Today's use of the daily limits, one row per UTC day and scope ("tag:<tag>" or "global").
limit_usage = Table(
    "limit_usage",
    metadata,
    Column("day", String(10), primary_key=True),
    Column("scope", String(40), primary_key=True),
    Column("amount_stroops", BigInteger, nullable=False),
    Column("count", Integer, nullable=False),
)

# Who did what, when and why: every control action (pause, resume, rollback, sign-off, alert ack).
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(128), nullable=False),
    Column("role", String(32), nullable=True),
    Column("action", String(64), nullable=False),
    Column("reason", Text, nullable=True),
    Column("details", JSON, nullable=True),
    Index("ix_audit_log_at", "at"),
    Index("ix_audit_log_action_at", "action", "at"),
)

# Switches that every process reads, such as the global payment pause. One row per key.
control_state = Table(
    "control_state",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", JSON, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", String(128), nullable=False),
    Column("reason", Text, nullable=True),
)
