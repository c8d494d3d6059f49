"""Single-statement reads from PostgreSQL on the event loop (see reads.py for what they are for).

psycopg's async connection pool, in autocommit, sessions in UTC. The HTTP API answers its public and
read-only routes with these so that a request does not leave the event loop for a worker thread: the hop,
and threads taking turns with the loop, cost more CPU than the read itself.

The statements are SQLAlchemy selects, compiled once each for PostgreSQL; rows come back as tuples of
the selected columns. The values are converted by psycopg, as the same read through SQLAlchemy would
give them: timestamps as aware UTC datetimes (the session's time zone is UTC), JSON as Python values.
Parameters go to psycopg as they are: text, numbers, lists for ``expanding`` parameters, and aware
datetimes.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
import weakref
from collections.abc import Mapping, Sequence
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.sql.compiler import SQLCompiler

from paycrypt.core.errors import StorageError
from paycrypt.core.storage import database
from paycrypt.core.storage.reads import ReadStatement

log = logging.getLogger(__name__)


class PostgresReader:
    """A RowReader for PostgreSQL. Its pool opens on the first read (on the loop that reads) and grows
    to ``max_size`` connections; `close` closes it. A connection that sat idle in the pool is pinged
    before use, as the engine's are; a read that finds no connection within ``timeout`` seconds, or
    loses its connection, raises StorageError."""

    def __init__(self, engine: Engine, *, max_size: int, timeout: float):
        if engine.dialect.name != "postgresql":
            raise ValueError("PostgresReader reads PostgreSQL only")
        self._conninfo = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._dialect = engine.dialect
        self.dialect = "postgresql"
        self._max_size = max_size
        self._timeout = timeout
        self._pool: AsyncConnectionPool[psycopg.AsyncConnection[Any]] | None = None
        self._opening = asyncio.Lock()
        self._last_used: weakref.WeakKeyDictionary[psycopg.AsyncConnection[Any], float] = (
            weakref.WeakKeyDictionary()
        )

    async def fetch(self, statement: ReadStatement, parameters: Mapping[str, Any]) -> Sequence[Sequence[Any]]:
        sql, values = _bound(_compiled(statement, self._dialect), parameters)
        pool = self._pool or await self._open()
        try:
            async with pool.connection(timeout=self._timeout) as connection:
                cursor = await connection.execute(sql, values, binary=True)
                return await cursor.fetchall()
        except PoolTimeout as err:
            raise StorageError(f"no database connection free within {self._timeout:g} s") from err
        except psycopg.OperationalError as err:
            raise StorageError(f"cannot reach the database: {err.__class__.__name__}") from err

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            self._opening = asyncio.Lock()  # a later read may come from another event loop
            await pool.close()

    async def _open(self) -> AsyncConnectionPool[psycopg.AsyncConnection[Any]]:
        async with self._opening:
            if self._pool is None:
                pool: AsyncConnectionPool[psycopg.AsyncConnection[Any]] = AsyncConnectionPool(
                    self._conninfo,
                    kwargs={"autocommit": True, "application_name": "paycrypt", "connect_timeout": 10},
                    min_size=1,
                    max_size=self._max_size,
                    timeout=self._timeout,
                    configure=self._configure,
                    check=self._check,
                    reset=self._returned,
                    name="paycrypt-reads",
                    open=False,
                )
                await pool.open()
                self._pool = pool
            return self._pool

    async def _configure(self, connection: psycopg.AsyncConnection[Any]) -> None:
        await connection.execute("SET TIME ZONE 'UTC'")
        # psycopg prepares a statement on its fifth run on a connection; PostgreSQL would still plan a
        # history page anew on every run (its plan with the values costs less than a generic one), and
        # the planning costs more than the reading. These reads are index walks whatever the values.
        await connection.execute("SET plan_cache_mode = force_generic_plan")
        self._last_used[connection] = time.monotonic()

    async def _check(self, connection: psycopg.AsyncConnection[Any]) -> None:
        if time.monotonic() - self._last_used.get(connection, 0.0) >= database.PING_AFTER_IDLE_S:
            await AsyncConnectionPool.check_connection(connection)  # raises: the pool takes another

    async def _returned(self, connection: psycopg.AsyncConnection[Any]) -> None:
        self._last_used[connection] = time.monotonic()


@functools.lru_cache(maxsize=128)
def _compiled(statement: ReadStatement, dialect: Dialect) -> SQLCompiler:
    """Compiled once per statement: the callers keep their statements, built once, and so the cache."""
    compiled = statement.compile(dialect=dialect)
    assert isinstance(compiled, SQLCompiler)
    return compiled


def _bound(compiled: SQLCompiler, parameters: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    """The SQL and its parameters for these values; ``expanding`` lists become one parameter each."""
    if compiled.post_compile_params:
        expanded = compiled.construct_expanded_state(dict(parameters))
        return expanded.statement, dict(expanded.parameters)
    return compiled.string, compiled.construct_params(dict(parameters))
