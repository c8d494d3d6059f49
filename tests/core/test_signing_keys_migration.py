"""The 0002 migration: matches the table metadata, and rolls back to 0001 and forward again."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from paycrypt.core.storage import schema
from paycrypt.core.storage.database import make_engine
from paycrypt.core.storage.tables import metadata


@pytest.mark.parametrize("empty_database_url", ["sqlite", "postgresql"], indirect=True)
def test_signing_keys_migrates_down_and_up_and_matches_the_metadata(empty_database_url):
    engine = make_engine(empty_database_url)
    try:
        schema.upgrade(engine)
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
        assert [d for d in diff if "signing_keys" in repr(d)] == []
        assert {c["name"] for c in inspect(engine).get_unique_constraints("signing_keys")} == {
            "uq_signing_keys_account_id"
        }

        schema.rollback(engine, to="0001_initial")
        assert "signing_keys" not in inspect(engine).get_table_names()
        schema.upgrade(engine)
        assert "signing_keys" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
