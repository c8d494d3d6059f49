"""How the API's read-only routes reach the database without a transaction (core/storage/reads.py).

On PostgreSQL the reads stay on the event loop (psycopg's async pool, core/storage/async_reads.py); on
SQLite, an embedded database with no async driver, each read runs in the thread pool.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from paycrypt.core.settings import Settings
from paycrypt.core.storage.async_reads import PostgresReader
from paycrypt.core.storage.reads import ReadStatement, RowReader, read_rows


class ThreadedReader:
    """A RowReader over the engine's own pool, each read in a worker thread."""

    def __init__(self, engine: Engine):
        self._engine = engine
        self.dialect = engine.dialect.name

    async def fetch(self, statement: ReadStatement, parameters: Mapping[str, Any]) -> Sequence[Sequence[Any]]:
        return await run_in_threadpool(read_rows, self._engine, statement, parameters)

    async def close(self) -> None:
        return None


def row_reader(engine: Engine, settings: Settings) -> RowReader:
    """The reader for this engine's database; its pool is as large as the engine's (DATABASE_POOL_SIZE)."""
    if engine.dialect.name == "postgresql":
        return PostgresReader(
            engine, max_size=settings.database_pool_size, timeout=settings.database_pool_timeout
        )
    return ThreadedReader(engine)
