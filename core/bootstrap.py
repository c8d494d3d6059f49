"""Wiring: builds the database engine and unit-of-work factory from the settings.

Every entry point (CLI, API, worker, scheduler, dashboard) gets its collaborators from here, so nothing
opens a connection at import time and tests can build the same graph on a test database.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from paycrypt.core.secrets import RedactingFilter
from paycrypt.core.settings import Settings, get_settings
from paycrypt.core.storage.database import make_engine
from paycrypt.core.storage.unit_of_work import UnitOfWork


@dataclass
class Container:
    settings: Settings
    engine: Engine

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self.engine)

    @property
    def uow_factory(self) -> Callable[[], UnitOfWork]:
        return self.unit_of_work

    def close(self) -> None:
        self.engine.dispose()


def bootstrap(settings: Settings | None = None) -> Container:
    settings = settings or get_settings()
    engine = make_engine(
        settings.database_url.reveal(),
        pool_size=settings.database_pool_size,
        pool_timeout=settings.database_pool_timeout,
    )
    return Container(settings=settings, engine=engine)


def configure_logging(settings: Settings) -> None:
    """Logs to stderr with every configured secret and any Stellar seed masked."""
    root = logging.getLogger()
    root.setLevel(settings.log_level)
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter(settings.known_secret_values()))
    root.handlers[:] = [handler]
    # Alembic narrates every step at INFO; the CLI says what it did in its own words.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))
