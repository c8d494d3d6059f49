"""Alembic environment: runs migrations on the connection PayCrypt hands over, or on DATABASE_URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from paycrypt.core.storage.tables import metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # Batch mode rebuilds tables on SQLite, which cannot ALTER most things; PostgreSQL alters in place.
        render_as_batch=True,
        compare_type=True,
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _main() -> None:
    if context.is_offline_mode():
        context.configure(
            url=config.get_main_option("sqlalchemy.url"), target_metadata=metadata, literal_binds=True
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    # Run as plain `alembic ...` by a developer: use the configured database.
    from paycrypt.core.settings import get_settings
    from paycrypt.core.storage.database import make_engine

    engine = make_engine(get_settings().database_url.reveal())
    with engine.connect() as conn:
        _run(conn)
        conn.commit()


_main()
