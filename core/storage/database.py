"""Builds the SQLAlchemy engine for the configured database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import NullPool

SQLITE_BUSY_TIMEOUT_MS = 10_000
READ_ONLY = "paycrypt.read_only"  # Connection.info flag set by a read-only unit of work


def make_engine(database_url: str, *, pool_size: int = 10, pool_timeout: float = 30.0) -> Engine:
    """An engine for SQLite (WAL, foreign keys, busy timeout) or PostgreSQL (pooled, pre-pinged)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, poolclass=NullPool if url.database == ":memory:" else None)
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=0,  # the pool is the cap: busy threads wait (pool_timeout), the server is not exhausted
        pool_timeout=pool_timeout,
        pool_pre_ping=True,
        connect_args={"application_name": "paycrypt", "connect_timeout": 10},
    )


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy issue BEGIN itself (below) so a write transaction takes its lock at the start.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_on_begin(connection: Any) -> None:
    # BEGIN IMMEDIATE: two writers serialise at the start of the unit of work instead of one failing
    # half-way with "database is locked", which makes read-check-write sequences (limits) atomic.
    # A read-only unit of work takes no write lock, so readers never wait on each other (WAL).
    connection.exec_driver_sql("BEGIN" if connection.info.get(READ_ONLY) else "BEGIN IMMEDIATE")
