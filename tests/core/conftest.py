"""Fakes for the engine's ports (hand-written subclasses, no mock.patch) and a local HTTP stub server."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.fernet import Fernet
from sqlalchemy.engine import Engine

from paycrypt.core.federation import FederationAnswer, FederationError, FederationPort, read_answer
from paycrypt.core.horizon import (
    AccountNotFound,
    AccountState,
    Balance,
    FundingResult,
    HorizonError,
    HorizonPort,
    LedgerInfo,
    Signer,
    Thresholds,
    TransactionResult,
)
from paycrypt.core.payments.fees import FeeStats
from paycrypt.core.secrets import Secret
from paycrypt.core.storage.types import utcnow
from paycrypt.core.values import Asset, FederationAddress
from paycrypt.core.vault import KeyVault

FRIENDBOT_STARTING_BALANCE = 10_000 * 10_000_000


class FakeHorizon(HorizonPort):
    """An in-memory network: accounts exist once friendbot has funded them (or a test put them there)."""

    def __init__(self) -> None:
        self.accounts: dict[str, AccountState] = {}
        self.funded: list[str] = []
        self.fail_next: HorizonError | None = None

    def add_account(self, account_id: str, stroops: int = FRIENDBOT_STARTING_BALANCE) -> AccountState:
        state = AccountState(
            account_id=account_id,
            sequence=1 << 32,
            balances=(Balance(asset=Asset.native(), stroops=stroops),),
            thresholds=Thresholds(),
            signers=(Signer(key=account_id, weight=1),),
        )
        self.accounts[account_id] = state
        return state

    def _maybe_fail(self) -> None:
        if self.fail_next is not None:
            err, self.fail_next = self.fail_next, None
            raise err

    def load_account(self, account_id: str) -> AccountState:
        self._maybe_fail()
        if account_id not in self.accounts:
            raise AccountNotFound(f"account {account_id} does not exist on the ledger", status=404)
        return self.accounts[account_id]

    def fund_with_friendbot(self, account_id: str) -> FundingResult:
        self._maybe_fail()
        if account_id in self.accounts:
            raise HorizonError("friendbot: account already funded", code="friendbot_refused", status=400)
        self.add_account(account_id)
        self.funded.append(account_id)
        return FundingResult(account_id=account_id, transaction_hash=f"{len(self.funded):064x}")

    # The fake applies no transactions: payment flows are tested against the real sandbox.
    def latest_ledger(self) -> LedgerInfo:
        return LedgerInfo(
            sequence=2, closed_at=utcnow(), base_fee=100, base_reserve=5_000_000, max_tx_set_size=1000
        )

    def fee_stats(self) -> FeeStats:
        return FeeStats(base_fee=100, capacity_usage=Decimal(0), p70=100, p90=100, p99=100)

    def submit(self, envelope_xdr: str) -> TransactionResult:
        self._maybe_fail()
        raise HorizonError(
            "the fake network applies no transactions", code="horizon_unavailable", retriable=True
        )

    def transaction(self, tx_hash: str) -> TransactionResult | None:
        return None


class FakeFederation(FederationPort):
    """Answers from a dict of SEP-2 records; counts the lookups so caching can be checked."""

    def __init__(self) -> None:
        self.records: dict[str, dict[str, str | None]] = {}
        self.lookups: list[str] = []

    def add(
        self, address: str, account_id: str, memo_type: str | None = None, memo: str | None = None
    ) -> None:
        self.records[address] = {"account_id": account_id, "memo_type": memo_type, "memo": memo}

    def resolve(self, address: FederationAddress) -> FederationAnswer:
        self.lookups.append(str(address))
        record = self.records.get(str(address))
        if record is None:
            raise FederationError(
                f"{address} is unknown to its federation server", code="federation_not_found"
            )
        return read_answer(address, record["account_id"], record["memo_type"], record["memo"])


@pytest.fixture
def fake_horizon() -> FakeHorizon:
    return FakeHorizon()


@pytest.fixture
def fake_federation() -> FakeFederation:
    return FakeFederation()


@pytest.fixture
def master_key() -> Secret:
    return Secret(Fernet.generate_key().decode("ascii"))


@pytest.fixture
def vault(master_key: Secret) -> KeyVault:
    return KeyVault(master_key)


# --- a stub HTTP server on 127.0.0.1, for the real adapters ---------------------------------------------


@dataclass
class StubServer:
    """Answers GET requests from ``routes`` (path -> (status, body)); records every request it saw."""

    url: str
    routes: dict[str, tuple[int, Any]] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, list[str]]]] = field(default_factory=list)


@pytest.fixture
def stub_server() -> Iterator[StubServer]:
    stub = StubServer(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            stub.requests.append((parts.path, parse_qs(parts.query)))
            status, body = stub.routes.get(parts.path, (404, {"type": "not_found", "status": 404}))
            payload = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain" if isinstance(body, str) else "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    stub.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield stub
    server.shutdown()
    server.server_close()


# --- the CLI as a subprocess ------------------------------------------------------------------------------

PAYCRYPT = str(Path(sys.executable).parent / "paycrypt")


@pytest.fixture
def paycrypt(
    cli_env: dict[str, str], database_url: str, engine: Engine
) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Runs `paycrypt ARGS` on the migrated test database (emptied after the test by ``engine``)."""
    env = {
        **cli_env,
        "DATABASE_URL": database_url,
        "PAYCRYPT_MASTER_KEY": Fernet.generate_key().decode("ascii"),
        "JWT_SECRET": secrets.token_urlsafe(48),
    }

    def run(*args: str, input: str | None = None, extra_env: dict[str, str] | None = None):
        return subprocess.run(
            [PAYCRYPT, *args],
            env={**env, **(extra_env or {})},
            input=input,
            capture_output=True,
            text=True,
            timeout=60,
        )

    return run
