"""Reads that need no transaction: one statement whose answer is complete in itself.

A lookup such as "which account does this tag name", or one page of a history, is one statement; a
transaction around it would add nothing (a single statement always reads one consistent snapshot) but
two round trips to PostgreSQL, BEGIN and ROLLBACK. A read-only unit of work (`UnitOfWork.reading()`) runs
in autocommit for that and leaves its connection as it found it; `read_rows` runs one statement in one.

`RowReader` is the same read for code on an event loop (the HTTP API): see async_reads.py for
PostgreSQL; on SQLite the API runs `read_rows` in its thread pool. Anything that reads several
statements that must agree, or writes, goes through a unit of work instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from sqlalchemy import Select, TextClause
from sqlalchemy.engine import Engine

from paycrypt.core.storage.unit_of_work import UnitOfWork

# A SELECT built with SQLAlchemy, or written out for one database (text()).
ReadStatement = Select[Any] | TextClause


class RowReader(Protocol):
    """Runs one SELECT outside any transaction and returns its rows, each a sequence of the selected
    columns in order, converted as the table's column types say (times as aware UTC datetimes).
    ``dialect`` names the database's SQL (SQLAlchemy's dialect name), for statements written for one."""

    dialect: str

    async def fetch(
        self, statement: ReadStatement, parameters: Mapping[str, Any]
    ) -> Sequence[Sequence[Any]]: ...

    async def close(self) -> None: ...


def read_rows(
    engine: Engine, statement: ReadStatement, parameters: Mapping[str, Any]
) -> Sequence[Sequence[Any]]:
    """The rows of one SELECT, read in a read-only unit of work (autocommit on PostgreSQL)."""
    with UnitOfWork(engine, read_only=True) as uow:
        return uow.connection.execute(statement, parameters).all()
