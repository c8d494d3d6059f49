"""Builds the SQLAlchemy engine for the configured database."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.pool import NullPool

SQLITE_BUSY_TIMEOUT_MS = 10_000
READ_ONLY = "paycrypt.read_only"  # Connection.info flag set by a read-only unit of work
# A pooled connection idle longer than this is pinged before use (a restart or a firewall may have cut it);
# one in steady use is not, since a ping is a round trip per unit of work.
PING_AFTER_IDLE_S = 5.0
_LAST_USED = "paycrypt.last_used"


def make_engine(database_url: str, *, pool_size: int = 10, pool_timeout: float = 30.0) -> Engine:
    """An engine for SQLite (WAL, foreign keys, busy timeout) or PostgreSQL (pooled, pinged after idling)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, poolclass=NullPool if url.database == ":memory:" else None)
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=0,  # the pool is the cap: busy threads wait (pool_timeout), the server is not exhausted
        pool_timeout=pool_timeout,
        connect_args={"application_name": "paycrypt", "connect_timeout": 10},
    )
    _ping_after_idle(engine)
    return engine


def _ping_after_idle(engine: Engine) -> None:
    """Pessimistic disconnect handling, paid only by connections that sat idle in the pool.

    A connection that fails its ping is discarded and the pool hands out (or opens) another, as
    ``pool_pre_ping`` would; one that dies while in steady use fails that one unit of work, and
    SQLAlchemy then invalidates every pooled connection opened before it."""

    def mark(_dbapi_connection: Any, record: Any, *_: Any) -> None:
        record.info[_LAST_USED] = time.monotonic()

    def ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if time.monotonic() - record.info.get(_LAST_USED, 0.0) < PING_AFTER_IDLE_S:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as err:
            failed = err.__class__.__name__
            raise DisconnectionError(f"a pooled connection failed its ping: {failed}") from err
        if not alive:
            raise DisconnectionError("a pooled connection failed its ping")
        record.info[_LAST_USED] = time.monotonic()

    event.listen(engine, "connect", mark)
    event.listen(engine, "checkin", mark)
    event.listen(engine, "checkout", ping_if_idle)


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
