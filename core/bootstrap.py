"""Wiring: builds the database engine and unit-of-work factory from the settings.

Every entry point (CLI, API, worker, scheduler, dashboard) gets its collaborators from here, so nothing
opens a connection at import time and tests can build the same graph on a test database.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from paycrypt.core.federation import CachedFederation, Sep2Federation
from paycrypt.core.horizon_sdk import SdkHorizon
from paycrypt.core.payments.engine import PaymentEngine, PaymentPolicy
from paycrypt.core.secrets import RedactingFilter
from paycrypt.core.settings import Settings, get_settings
from paycrypt.core.storage.database import make_engine
from paycrypt.core.storage.tag_cache import TagCache, tag_cache_for
from paycrypt.core.storage.unit_of_work import UnitOfWork
from paycrypt.core.vault import KeyVault


@dataclass
class Container:
    settings: Settings
    engine: Engine
    _horizon: SdkHorizon | None = field(default=None, repr=False)
    _payments: PaymentEngine | None = field(default=None, repr=False)
    _tag_cache: TagCache | None = field(default=None, repr=False)

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self.engine)

    @property
    def uow_factory(self) -> Callable[[], UnitOfWork]:
        return self.unit_of_work

    @property
    def horizon(self) -> SdkHorizon:
        if self._horizon is None:
            self._horizon = SdkHorizon(
                self.settings.horizon_url,
                network_passphrase=self.settings.network_passphrase,
                pool_size=self.settings.horizon_pool_size,
            )
        return self._horizon

    def probe_horizon(self) -> SdkHorizon:
        """A separate Horizon client for health probes: a short timeout and no retry, so a readiness
        check answers within seconds when Horizon is down. The caller closes it."""
        return SdkHorizon(
            self.settings.horizon_url,
            timeout_seconds=2,
            retries=0,
            network_passphrase=self.settings.network_passphrase,
            pool_size=2,
        )

    @property
    def tag_cache(self) -> TagCache:
        """Tags in memory, kept true by change notices (PostgreSQL); started on first use."""
        if self._tag_cache is None:
            self._tag_cache = tag_cache_for(self.engine, self.settings.tag_cache)
        return self._tag_cache

    @property
    def vault(self) -> KeyVault:
        return KeyVault(self.settings.master_key, self.settings.previous_master_keys)

    @property
    def payments(self) -> PaymentEngine:
        """The payment engine over this container's database and network."""
        if self._payments is None:
            s = self.settings
            self._payments = PaymentEngine(
                uow_factory=self.uow_factory,
                horizon=self.horizon,
                vault=self.vault,
                federation=CachedFederation(Sep2Federation()),
                tags=self.tag_cache,
                policy=PaymentPolicy(
                    limits=s.limits,
                    network_passphrase=s.network_passphrase,
                    max_fee_per_operation=s.max_fee_stroops,
                    tx_timeout_seconds=s.tx_timeout_seconds,
                    cosign_window_seconds=s.cosign_window_seconds,
                    own_federation_domain=s.federation_domain,
                ),
            )
        return self._payments

    def close_clients(self) -> None:
        """Closes what this container opened beside the engine: Horizon's client, the tag listener."""
        if self._horizon is not None:
            self._horizon.close()
        if self._tag_cache is not None:
            self._tag_cache.close()

    def close(self) -> None:
        self.close_clients()
        self.engine.dispose()


def bootstrap(settings: Settings | None = None) -> Container:
    settings = settings or get_settings()
    engine = make_engine(
        settings.database_url.reveal(),
        pool_size=settings.database_pool_size,
        pool_timeout=settings.database_pool_timeout,
    )
    return Container(settings=settings, engine=engine)


def configure_logging(settings: Settings, *, quiet: bool = False) -> None:
    """Logs to stderr with every configured secret and any Stellar seed masked.

    ``quiet`` (one-shot commands) keeps INFO chatter out unless PAYCRYPT_LOG_LEVEL asks for more."""
    root = logging.getLogger()
    level = logging.getLevelName(settings.log_level)
    root.setLevel(max(level, logging.WARNING) if quiet and level == logging.INFO else level)
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter(settings.known_secret_values()))
    root.handlers[:] = [handler]
    # Alembic narrates every step at INFO; the CLI says what it did in its own words.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))
