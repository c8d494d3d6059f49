"""Reads of one statement outside a transaction: through the engine's pool (a read-only unit of work,
read_rows) and, on PostgreSQL, through the async pool the API reads with (PostgresReader)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import Engine
from stellar_sdk import Keypair

from paycrypt.core.errors import StorageError
from paycrypt.core.payment_status import PaymentStatus
from paycrypt.core.payments.history import HistoryQuery
from paycrypt.core.payments.history_view import history_view_read
from paycrypt.core.storage import database
from paycrypt.core.storage.async_reads import PostgresReader
from paycrypt.core.storage.database import READ_ONLY, make_engine
from paycrypt.core.storage.reads import read_rows
from paycrypt.core.storage.tables import stellar_tags, transactions
from paycrypt.core.storage.tag_repository import tag_lookup
from paycrypt.core.storage.types import utcnow
from paycrypt.core.storage.unit_of_work import UnitOfWork
from paycrypt.core.tags import add_tag
from paycrypt.core.values import Tag

from ..conftest import POSTGRES_ADMIN_URL


@pytest.fixture
def one_connection(engine: Engine) -> Iterator[Engine]:
    """An engine on the test database whose pool holds one connection: every checkout is the same one."""
    single = make_engine(engine.url.render_as_string(hide_password=False), pool_size=1)
    yield single
    single.dispose()


def _postgres_only(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")


def _payments(count: int) -> list[dict[str, object]]:
    start = utcnow().replace(microsecond=0) - timedelta(hours=1)
    return [
        {
            "id": str(uuid.uuid4()),
            "idempotency_key": f"k{i}",
            "status": (PaymentStatus.SUCCEEDED if i % 2 else PaymentStatus.FAILED).value,
            "source_tag": "alice",
            "source_account": "GA",
            "destination": "bob",
            "destination_tag": "bob",
            "destination_account": "GB",
            "amount_stroops": (i + 1) * 10_000_000,
            "result_codes": {"transaction": "tx_failed"} if i % 2 == 0 else None,
            "created_at": start + timedelta(seconds=i),
            "updated_at": start + timedelta(seconds=i, microseconds=250),
        }
        for i in range(count)
    ]


def test_a_read_sees_committed_rows_and_leaves_the_connection_as_it_found_it(one_connection, uow_factory):
    account = Keypair.random().public_key
    add_tag("alice", account, uow=uow_factory())
    postgres = one_connection.dialect.name == "postgresql"

    with UnitOfWork(one_connection, read_only=True) as uow:
        connection = uow.connection
        found = connection.execute(select(stellar_tags.c.account_id)).scalar_one()
        if postgres:  # no BEGIN was sent: the statement ran on its own, nothing is left open
            driver: Any = connection.connection.driver_connection
            assert driver.info.transaction_status.name == "IDLE"
        else:  # SQLite reads in a deferred transaction, without the write lock
            assert connection.info[READ_ONLY] is True
    assert found == account

    with one_connection.connect() as connection:  # the same pooled connection, given out again
        assert READ_ONLY not in connection.info
        if postgres:
            assert connection.connection.driver_connection.autocommit is False
        connection.execute(insert(stellar_tags).values(**_tag_row("bob")))
        connection.rollback()  # a transaction again: what it wrote is gone
    assert read_rows(one_connection, select(stellar_tags.c.tag), {}) == [("alice",)]


def _tag_row(tag: str) -> dict[str, object]:
    now = utcnow()
    return {
        "tag": tag,
        "account_id": Keypair.random().public_key,
        "custodial": False,
        "created_at": now,
        "updated_at": now,
    }


def test_the_async_reader_reads_what_the_engine_reads(engine, uow_factory):
    _postgres_only(engine)
    add_tag("alice", Keypair.random().public_key, "order-7", uow=uow_factory())
    with uow_factory() as uow:
        uow.connection.execute(insert(transactions), _payments(7))
        uow.commit()
    query = HistoryQuery(tag="alice", statuses=(PaymentStatus.FAILED,), limit=2)
    read = history_view_read(query, "postgresql")  # statuses: an array parameter
    reads = [tag_lookup(Tag("alice")), (read.statement, read.parameters)]

    async def fetch_all() -> list[list[tuple[object, ...]]]:
        reader = PostgresReader(engine, max_size=2, timeout=5)
        try:
            return [[tuple(row) for row in await reader.fetch(*one)] for one in reads]
        finally:
            await reader.close()

    by_reader = asyncio.run(fetch_all())
    assert by_reader == [[tuple(row) for row in read_rows(engine, *one)] for one in reads]
    tag_row, history_rows = by_reader
    assert len(tag_row) == 1 and len(history_rows) == 1  # the page, written by the database
    assert history_rows[0][1] == 3  # a page of 2 and the row that says "more"
    page = json.loads(read.document(history_rows))
    assert [p["status"] for p in page["payments"]] == ["failed", "failed"] and page["next_cursor"]
    assert page["payments"][0]["result_codes"] == {"transaction": "tx_failed"}
    times = [value for row in history_rows for value in row if isinstance(value, datetime)]
    assert times and all(value.tzinfo is UTC for value in times)  # the session speaks UTC


def test_the_async_reader_leaves_no_transaction_open(engine):
    _postgres_only(engine)

    async def read_then_look() -> list[str]:
        reader = PostgresReader(engine, max_size=1, timeout=5)
        try:
            await reader.fetch(select(func.count()).select_from(transactions), {})
            rows = await reader.fetch(
                select(text("state"))
                .select_from(text("pg_stat_activity"))
                .where(text("pid <> pg_backend_pid() AND datname = current_database()")),
                {},
            )
            return [str(state) for (state,) in rows]
        finally:
            await reader.close()

    assert "idle in transaction" not in asyncio.run(read_then_look())


def test_a_connection_cut_while_idle_is_replaced_before_a_read(engine, monkeypatch):
    _postgres_only(engine)
    pid = select(func.pg_backend_pid())

    async def read_twice() -> tuple[int, int]:
        reader = PostgresReader(engine, max_size=1, timeout=5)
        try:
            (first,) = (await reader.fetch(pid, {}))[0]
            admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first}).scalar_one()
            admin.dispose()
            monkeypatch.setattr(database, "PING_AFTER_IDLE_S", 0.0)  # as if it had sat idle
            (second,) = (await reader.fetch(pid, {}))[0]
            return first, second
        finally:
            await reader.close()

    first, second = asyncio.run(read_twice())
    assert first != second  # no error reached the caller: the pool opened another


def test_an_unreachable_database_is_a_storage_error_and_a_closed_reader_opens_again(engine):
    _postgres_only(engine)
    unreachable = create_engine(engine.url.set(host="127.0.0.1", port=1))
    reader = PostgresReader(unreachable, max_size=1, timeout=0.5)

    async def read() -> None:
        try:
            await reader.fetch(select(func.now()), {})
        finally:
            await reader.close()

    for _ in range(2):  # each run on its own event loop, as separate servers would
        with pytest.raises(StorageError):
            asyncio.run(read())
    unreachable.dispose()


def test_the_async_reader_is_for_postgresql_only(tmp_path):
    sqlite = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(ValueError, match="PostgreSQL"):
        PostgresReader(sqlite, max_size=1, timeout=1)
