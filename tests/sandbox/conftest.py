"""Fixtures for the sandbox's own tests: in-process sandboxes and stellar-sdk clients pointed at them."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from stellar_sdk import Account as SdkAccount
from stellar_sdk import Asset, Keypair, Server, TransactionBuilder

from paycrypt.core.settings import SANDBOX_PASSPHRASE
from paycrypt.sandbox.ledger import AdmissionStatus, Ledger, root_keypair
from paycrypt.sandbox.testing import RunningSandbox, running_sandbox


@pytest.fixture
def live_sandbox(clean_sandbox: RunningSandbox) -> RunningSandbox:
    """The run's shared sandbox (tests/conftest.py), with no fault left over from another test."""
    return clean_sandbox


@pytest.fixture
def manual_sandbox() -> Iterator[RunningSandbox]:
    """A sandbox of its own whose ledgers close only when the test says so; submissions time out at 0.5 s."""
    with running_sandbox(ledger_close_seconds=None, submission_timeout=0.5) as running:
        yield running


@pytest.fixture
def server(live_sandbox: RunningSandbox) -> Server:
    return Server(live_sandbox.url)


@pytest.fixture
def funded(live_sandbox: RunningSandbox) -> Callable[[int], list[Keypair]]:
    """Makes new accounts holding 10,000 XLM each (through friendbot, in one ledger)."""

    def make(count: int = 1) -> list[Keypair]:
        keypairs = [Keypair.random() for _ in range(count)]
        live_sandbox.fund(*(keypair.public_key for keypair in keypairs))
        return keypairs

    return make


@pytest.fixture
def builder(server: Server, live_sandbox: RunningSandbox) -> Callable[..., TransactionBuilder]:
    """A TransactionBuilder for `source` at its current sequence number, with a 30 s time bound."""

    def make(source: Keypair, base_fee: int = 100) -> TransactionBuilder:
        account = server.load_account(source.public_key)
        return TransactionBuilder(account, live_sandbox.passphrase, base_fee=base_fee).set_timeout(30)

    return make


class FakeClock:
    """Wall-clock seconds that a test moves by hand (time bounds are judged by ledger close time)."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class LedgerDriver:
    """Drives a Ledger directly (no HTTP): funds accounts, builds and signs envelopes, closes ledgers."""

    def __init__(self, max_tx_set_size: int = 1000) -> None:
        self.clock = FakeClock()
        self.ledger = Ledger(SANDBOX_PASSPHRASE, max_tx_set_size=max_tx_set_size, clock=self.clock)
        self.root = root_keypair(SANDBOX_PASSPHRASE)

    def fund(self, count: int, lumens: int | str = 1000) -> list[Keypair]:
        """New accounts with `lumens` XLM each, created by the root account, up to 100 per ledger."""
        keypairs = [Keypair.random() for _ in range(count)]
        batch = min(100, self.ledger.max_tx_set_size)
        for start in range(0, count, batch):
            builder = self.builder(self.root, fee=100)
            for keypair in keypairs[start : start + batch]:
                builder.append_create_account_op(keypair.public_key, str(lumens))
            admission = self.ledger.submit(self.sign(builder, self.root))
            assert admission.status is AdmissionStatus.PENDING, admission
            closed = self.ledger.close()
            assert all(record.successful for record in closed.applied.values())
        return keypairs

    def sequence(self, account_id: str) -> int:
        account = self.ledger.account(account_id)
        return account.sequence if account is not None else 0

    def builder(self, source: Keypair, fee: int = 100, sequence: int | None = None) -> TransactionBuilder:
        current = self.sequence(source.public_key) if sequence is None else sequence
        account = SdkAccount(source.public_key, current)
        builder = TransactionBuilder(account, SANDBOX_PASSPHRASE, base_fee=fee)
        return builder.add_time_bounds(0, int(self.clock.now) + 300)

    @staticmethod
    def sign(builder: TransactionBuilder, *signers: Keypair) -> str:
        envelope = builder.build()
        for signer in signers:
            envelope.sign(signer)
        return envelope.to_xdr()

    def payment(self, source: Keypair, destination: str, stroops: int, fee: int = 100) -> str:
        amount = f"{stroops // 10**7}.{stroops % 10**7:07d}"
        builder = self.builder(source, fee).append_payment_op(destination, Asset.native(), amount)
        return self.sign(builder, source)


@pytest.fixture
def driver() -> LedgerDriver:
    return LedgerDriver()


@pytest.fixture
def make_driver() -> type[LedgerDriver]:
    """For ledgers with settings of their own: make_driver(max_tx_set_size=3)."""
    return LedgerDriver
