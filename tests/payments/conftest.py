"""A payment engine wired to the test database (SQLite or PostgreSQL) and the in-process sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
from cryptography.fernet import Fernet
from stellar_sdk import Keypair

from paycrypt.core.accounts import create_custodial_account
from paycrypt.core.horizon_sdk import SdkHorizon
from paycrypt.core.limits import PaymentLimits
from paycrypt.core.payments.engine import PaymentEngine, PaymentPolicy
from paycrypt.core.payments.worker import PaymentWorker
from paycrypt.core.secrets import Secret
from paycrypt.core.storage.tag_cache import tag_cache_for
from paycrypt.core.tags import add_tag
from paycrypt.core.vault import KeyVault
from paycrypt.sandbox.testing import FaultKind

XLM = 10_000_000
# Every fault the sandbox injects into a submission that loses or refuses its answer.
SUBMISSION_FAULTS = [kind for kind in FaultKind if kind is not FaultKind.LATENCY]
LIMITS = PaymentLimits(
    min_stroops=1,
    max_stroops=20_000 * XLM,
    tag_daily_stroops=30_000 * XLM,
    tag_daily_count=100,
    global_daily_stroops=100_000 * XLM,
)


@dataclass
class Bank:
    """The engine plus helpers to make funded custodial tags and plain accounts."""

    engine: PaymentEngine
    sandbox: object

    def custodial(self, tag: str) -> str:
        created = create_custodial_account(
            tag,
            fund=True,
            uow=self.engine.uow_factory(),
            vault=self.engine.vault,
            horizon=self.engine.horizon,
        )
        return created.record.account.account_id

    def outside(self, tag: str | None = None) -> Keypair:
        keypair = Keypair.random()
        self.sandbox.fund(keypair.public_key)  # type: ignore[attr-defined]
        if tag is not None:
            add_tag(tag, keypair.public_key, uow=self.engine.uow_factory())
        return keypair

    def balance(self, account_id: str) -> int | None:
        return self.sandbox.balance(account_id)  # type: ignore[attr-defined]

    def worker(self, **kwargs: object) -> PaymentWorker:
        return PaymentWorker(self.engine, **kwargs)  # type: ignore[arg-type]

    def with_policy(self, **changes: Any) -> Bank:
        return Bank(replace(self.engine, policy=replace(self.engine.policy, **changes)), self.sandbox)


@pytest.fixture
def bank(engine, uow_factory, clean_sandbox) -> Iterator[Bank]:
    """On PostgreSQL the engine remembers tags, as in production (core/storage/tag_cache.py)."""
    horizon = SdkHorizon(clean_sandbox.url, timeout_seconds=5, network_passphrase=clean_sandbox.passphrase)
    tags = tag_cache_for(engine)
    payments = PaymentEngine(
        uow_factory=uow_factory,
        tags=tags,
        horizon=horizon,
        vault=KeyVault(Secret(Fernet.generate_key().decode())),
        policy=PaymentPolicy(
            limits=LIMITS, network_passphrase=clean_sandbox.passphrase, tx_timeout_seconds=10
        ),
    )
    yield Bank(payments, clean_sandbox)
    tags.close()
    horizon.close()
