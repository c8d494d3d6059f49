"""The unit of work: one database transaction per command, request or job run.

Nothing is kept unless ``commit()`` is called; leaving the block without it (or with an exception) rolls
everything back, so a failed command never leaves half-written rows.

A service given a unit of work that is already open joins it: its ``with`` block and ``commit()`` are then
the outer block's to decide, so one command can read through several services in one transaction.

A read-only unit of work (:meth:`UnitOfWork.reading`) is for reads of one statement: on PostgreSQL it runs
in autocommit, which spares the BEGIN and ROLLBACK round trips; each statement sees its own snapshot, and
``commit()`` is refused. A one-statement unit of work (:meth:`UnitOfWork.one_statement`) is the same for a
command written as a single statement, atomic by itself: on PostgreSQL it is kept as soon as it runs; on
SQLite it is kept when the block ends without an error.
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.engine import Connection, Engine, RootTransaction
from sqlalchemy.exc import OperationalError

from paycrypt.core.errors import StorageError
from paycrypt.core.payments.repository import PaymentRepository
from paycrypt.core.storage.channel_repository import ChannelRepository
from paycrypt.core.storage.database import READ_ONLY
from paycrypt.core.storage.repositories import AuditLogRepository, ControlStateRepository
from paycrypt.core.storage.signing_key_repository import SigningKeyRepository
from paycrypt.core.storage.tag_repository import TagRepository


class UnitOfWork:
    connection: Connection
    audit: AuditLogRepository
    control: ControlStateRepository
    payments: PaymentRepository
    channels: ChannelRepository
    tags: TagRepository
    signing_keys: SigningKeyRepository

    def __init__(self, engine: Engine, *, read_only: bool = False, autocommit: bool = False):
        self._engine = engine
        self._read_only = read_only
        self._autocommit = autocommit or read_only
        self._transaction: RootTransaction | None = None
        self._joined = 0  # how many inner blocks joined this open unit of work

    def __enter__(self) -> Self:
        if self._transaction is not None:
            self._joined += 1
            return self
        try:
            self.connection = self._engine.connect()
            self.connection.info[READ_ONLY] = self._read_only
            if self._autocommit and self.connection.dialect.name == "postgresql":
                # A local setting of the driver, no round trip; the pool restores it when the connection
                # is given back.
                self.connection.execution_options(isolation_level="AUTOCOMMIT")
            self._transaction = self.connection.begin()
        except OperationalError as err:
            raise StorageError(f"cannot reach the database: {err.orig.__class__.__name__}") from err
        self.audit = AuditLogRepository(self.connection)
        self.control = ControlStateRepository(self.connection)
        self.payments = PaymentRepository(self.connection)
        self.channels = ChannelRepository(self.connection)
        self.tags = TagRepository(self.connection)
        self.signing_keys = SigningKeyRepository(self.connection)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._joined:
            self._joined -= 1
            return
        try:
            if self._transaction is not None and self._transaction.is_active:
                if self._autocommit and not self._read_only and exc_type is None:
                    self._transaction.commit()  # SQLite: the one statement is kept as PostgreSQL kept it
                else:
                    self._transaction.rollback()
        finally:
            self._transaction = None
            self.connection.info.pop(READ_ONLY, None)  # the next user of this pooled connection sets its own
            self.connection.close()

    def reading(self) -> UnitOfWork:
        """A read-only unit of work on the same database (see the module's docstring)."""
        return UnitOfWork(self._engine, read_only=True)

    def one_statement(self) -> UnitOfWork:
        """A unit of work for a command written as one statement (see the module's docstring)."""
        return UnitOfWork(self._engine, autocommit=True)

    def commit(self) -> None:
        if self._transaction is None or not self._transaction.is_active:
            raise RuntimeError("commit() outside an open unit of work")
        if self._read_only:
            raise RuntimeError("commit() in a read-only unit of work")
        if self._autocommit:
            raise RuntimeError("commit() in a one-statement unit of work: its statement is kept as it runs")
        if not self._joined:
            self._transaction.commit()

    def rollback(self) -> None:
        if self._transaction is not None and self._transaction.is_active:
            self._transaction.rollback()

    @property
    def dialect(self) -> str:
        """The database's kind ("postgresql", "sqlite"), known before the unit of work opens."""
        return self._engine.dialect.name
