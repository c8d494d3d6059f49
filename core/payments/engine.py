"""The collaborators every payment service needs, wired once by bootstrap (or by a test)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from paycrypt.core.federation import FederationPort
from paycrypt.core.horizon import AccountState, HorizonPort, LedgerInfo
from paycrypt.core.limits import PaymentLimits
from paycrypt.core.payments.fees import FeeStats
from paycrypt.core.storage.tag_cache import NoTagCache, TagCache
from paycrypt.core.storage.types import utcnow
from paycrypt.core.storage.unit_of_work import UnitOfWork
from paycrypt.core.vault import KeyVault

T = TypeVar("T")


@dataclass(frozen=True)
class PaymentPolicy:
    """How payments are sent: limits, fee cap and time windows."""

    limits: PaymentLimits
    network_passphrase: str
    max_fee_per_operation: int = 100_000  # stroops; 0.01 XLM
    tx_timeout_seconds: int = 60  # upper time bound of an envelope sent at once
    cosign_window_seconds: int = 3600  # how long a payment may wait for co-signers
    max_attempts: int = 3  # envelopes built for one payment before it is declared expired
    own_federation_domain: str | None = None


class _Ttl:
    """Caches one slow, rarely-changing answer (fee stats, latest ledger) for a few seconds."""

    def __init__(self, seconds: float):
        self._seconds = seconds
        self._lock = threading.Lock()
        self._value: object = None
        self._until = 0.0

    def get(self, load: Callable[[], T]) -> T:
        now = time.monotonic()
        with self._lock:
            if self._value is not None and now < self._until:
                return self._value  # type: ignore[return-value]
        value = load()
        with self._lock:
            self._value, self._until = value, now + self._seconds
        return value


class AccountCache:
    """Account states from Horizon, kept ``seconds`` per account."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic):
        self._seconds = seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, AccountState]] = {}

    def get(self, account_id: str, load: Callable[[str], AccountState]) -> AccountState:
        now = self._clock()
        with self._lock:
            hit = self._entries.get(account_id)
            if hit is not None and hit[0] > now:
                return hit[1]
        state = load(account_id)
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[account_id] = (now + self._seconds, state)
        return state


@dataclass
class PaymentEngine:
    uow_factory: Callable[[], UnitOfWork]
    horizon: HorizonPort
    vault: KeyVault
    policy: PaymentPolicy
    federation: FederationPort | None = None
    tags: TagCache = field(default_factory=NoTagCache)
    clock: Callable[[], datetime] = utcnow
    sleep: Callable[[float], None] = time.sleep
    _fees: _Ttl = field(default_factory=lambda: _Ttl(2.0))
    _ledger: _Ttl = field(default_factory=lambda: _Ttl(1.0))
    _accounts: AccountCache = field(default_factory=lambda: AccountCache(seconds=1.0))

    def fee_stats(self) -> FeeStats:
        return self._fees.get(self.horizon.fee_stats)

    def latest_ledger(self) -> LedgerInfo:
        return self._ledger.get(self.horizon.latest_ledger)

    def recent_account(self, account_id: str) -> AccountState:
        """The account as Horizon showed it within the last second: good enough to check signers, funds
        and existence before signing (the ledger has the last word), never for a sequence number.
        AccountNotFound is not remembered, so a newly created account shows up at once."""
        return self._accounts.get(account_id, self.horizon.load_account)
