"""PostgreSQL tells every listening process when a tag changes, so tags can be remembered in memory.

A trigger on stellar_tags sends NOTIFY paycrypt_tags with the tag's name for each inserted, updated or
deleted row (an empty name after a TRUNCATE: every tag). PostgreSQL delivers it when the change commits,
and never for a change rolled back. See core/storage/tag_cache.py. SQLite has no listeners: nothing to do.

Revision ID: 0007_tag_change_notices
Revises: 0006_channel_sequence
Create Date: 2026-11-28
"""

from __future__ import annotations

from alembic import op

revision = "0007_tag_change_notices"
down_revision = "0006_channel_sequence"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE FUNCTION paycrypt_tag_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'TRUNCATE' THEN
                PERFORM pg_notify('paycrypt_tags', '');
                RETURN NULL;
            END IF;
            IF TG_OP <> 'INSERT' THEN
                PERFORM pg_notify('paycrypt_tags', OLD.tag);
            END IF;
            IF TG_OP <> 'DELETE' THEN
                PERFORM pg_notify('paycrypt_tags', NEW.tag);
            END IF;
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER stellar_tags_changed AFTER INSERT OR UPDATE OR DELETE ON stellar_tags"
        " FOR EACH ROW EXECUTE FUNCTION paycrypt_tag_changed()"
    )
    op.execute(
        "CREATE TRIGGER stellar_tags_truncated AFTER TRUNCATE ON stellar_tags"
        " FOR EACH STATEMENT EXECUTE FUNCTION paycrypt_tag_changed()"
    )


def downgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS stellar_tags_truncated ON stellar_tags")
    op.execute("DROP TRIGGER IF EXISTS stellar_tags_changed ON stellar_tags")
    op.execute("DROP FUNCTION IF EXISTS paycrypt_tag_changed()")
