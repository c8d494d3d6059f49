"""A pooled PostgreSQL connection cut while idle is replaced before use; one in steady use is not pinged."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from paycrypt.core.storage import database
from paycrypt.core.storage.database import make_engine

from ..conftest import POSTGRES_ADMIN_URL


@pytest.fixture
def pg_engine() -> Iterator[Engine]:
    engine = make_engine(POSTGRES_ADMIN_URL, pool_size=1)
    yield engine
    engine.dispose()


def _backend_pid(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_a_connection_cut_while_idle_is_replaced(pg_engine, monkeypatch):
    first = _backend_pid(pg_engine)
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first}).scalar_one()
    admin.dispose()
    monkeypatch.setattr(database, "PING_AFTER_IDLE_S", 0.0)  # as if it had sat idle

    assert _backend_pid(pg_engine) != first  # no error reached the caller: the pool opened another


def test_a_connection_in_steady_use_is_not_pinged(pg_engine, monkeypatch):
    _backend_pid(pg_engine)
    pings: list[object] = []

    def ping(conn: object) -> bool:
        pings.append(conn)
        return True

    monkeypatch.setattr(pg_engine.dialect, "do_ping", ping)

    for _ in range(3):
        _backend_pid(pg_engine)
    assert pings == []

    monkeypatch.setattr(database, "PING_AFTER_IDLE_S", 0.0)
    _backend_pid(pg_engine)
    assert len(pings) == 1
