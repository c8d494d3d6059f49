"""Migrations go up, down and up again on SQLite and PostgreSQL, and match the tables the code reads."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from paycrypt.core.errors import MigrationError
from paycrypt.core.storage import schema
from paycrypt.core.storage.database import make_engine
from paycrypt.core.storage.tables import metadata

pytestmark = pytest.mark.parametrize("empty_database_url", ["sqlite", "postgresql"], indirect=True)

CHECKLIST_TABLES = {"stellar_tags", "transactions", "audit_log", "control_state"}


@pytest.fixture
def fresh_engine(empty_database_url):
    engine = make_engine(empty_database_url)
    yield engine
    engine.dispose()


def _tables(engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def test_migrations_go_up_down_and_up_again(fresh_engine):
    first = schema.upgrade(fresh_engine)
    assert first.before is None and first.after == schema.status(fresh_engine).head
    assert _tables(fresh_engine) >= CHECKLIST_TABLES

    schema.rollback(fresh_engine, to="base")
    assert _tables(fresh_engine) == set()
    assert schema.current_revision(fresh_engine) is None

    again = schema.upgrade(fresh_engine)
    assert again.applied == first.applied
    assert _tables(fresh_engine) >= CHECKLIST_TABLES


def test_the_migrated_schema_matches_the_tables_the_code_uses(fresh_engine):
    schema.upgrade(fresh_engine)
    with fresh_engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_the_indexes_the_known_queries_need_are_created(fresh_engine):
    schema.upgrade(fresh_engine)
    indexes = {ix["name"]: ix for ix in inspect(fresh_engine).get_indexes("transactions")}
    assert indexes["uq_transactions_idempotency_key"]["unique"]
    assert indexes["ix_transactions_source_tag_created_at"]["column_names"] == ["source_tag", "created_at"]
    assert indexes["ix_transactions_destination_tag_created_at"]["column_names"] == [
        "destination_tag",
        "created_at",
    ]
    assert indexes["ix_transactions_status_created_at"]["column_names"] == ["status", "created_at"]
    assert indexes["ix_transactions_tx_hash"]["column_names"] == ["tx_hash"]


def test_status_lists_pending_migrations_until_upgraded(fresh_engine):
    before = schema.status(fresh_engine)
    assert before.current is None
    assert before.pending and before.pending[-1] == before.head
    assert not before.at_head
    schema.upgrade(fresh_engine)
    after = schema.status(fresh_engine)
    assert after.at_head and after.pending == ()


def test_rollback_goes_back_one_step_by_default(fresh_engine):
    schema.upgrade(fresh_engine)
    head = schema.status(fresh_engine)
    result = schema.rollback(fresh_engine)
    assert result.before == head.head
    assert result.applied == (head.head,)
    assert schema.status(fresh_engine).pending == (head.head,)


def test_rollback_of_an_empty_database_says_there_is_nothing_to_undo(fresh_engine):
    with pytest.raises(MigrationError) as caught:
        schema.rollback(fresh_engine)
    assert caught.value.code == "nothing_to_rollback"


def test_rollback_to_an_unknown_revision_is_refused_without_change(fresh_engine):
    schema.upgrade(fresh_engine)
    with pytest.raises(MigrationError) as caught:
        schema.rollback(fresh_engine, to="no-such-revision")
    assert caught.value.code == "unknown_revision"
    assert schema.status(fresh_engine).at_head
