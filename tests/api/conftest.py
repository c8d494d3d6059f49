"""The API over the test database (SQLite and PostgreSQL) and the in-process sandbox, with token helpers.

`ApiBank` makes funded custodial tags and outside accounts and runs the worker, as tests/payments' Bank
does, but over the API's own container (its vault and engine), so the API and the worker share them.
"""

from __future__ import annotations

import contextlib
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import uvicorn
from cryptography.fernet import Fernet
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from stellar_sdk import Keypair

from paycrypt.api.app import create_app
from paycrypt.api.security import TokenKeys, issue_token
from paycrypt.core.accounts import create_custodial_account
from paycrypt.core.bootstrap import Container
from paycrypt.core.payments.model import Payment
from paycrypt.core.payments.worker import PaymentWorker
from paycrypt.core.settings import Settings
from paycrypt.core.tags import add_tag

JWT_SECRET = secrets.token_urlsafe(48)
MASTER_KEY = Fernet.generate_key().decode("ascii")
FEDERATION_DOMAIN = "pay.example.test"
GENEROUS = "default=100000/minute"


@pytest.fixture
def api_settings(settings_factory, database_url: str, sandbox) -> Callable[..., Settings]:
    """Settings for an API on the test database and the sandbox; keyword arguments override variables."""

    def build(**environ: str) -> Settings:
        base = {
            "DATABASE_URL": database_url,
            "STELLAR_HORIZON_URL": sandbox.url,
            "JWT_SECRET": JWT_SECRET,
            "PAYCRYPT_MASTER_KEY": MASTER_KEY,
            "PAYCRYPT_FEDERATION_DOMAIN": FEDERATION_DOMAIN,
            "API_RATE_LIMITS_PER_IP": GENEROUS,
            "API_RATE_LIMITS_PER_TOKEN": GENEROUS,
        }
        return settings_factory(**{**base, **environ})

    return build


@dataclass
class ApiBank:
    container: Container
    sandbox: Any

    def custodial(self, tag: str) -> str:
        created = create_custodial_account(
            tag,
            fund=True,
            uow=self.container.unit_of_work(),
            vault=self.container.vault,
            horizon=self.container.horizon,
        )
        return created.record.account.account_id

    def outside(self, tag: str | None = None) -> Keypair:
        keypair = Keypair.random()
        self.sandbox.fund(keypair.public_key)
        if tag is not None:
            add_tag(tag, keypair.public_key, uow=self.container.unit_of_work())
        return keypair

    def settle(self, payment_id: str) -> Payment | None:
        return PaymentWorker(self.container.payments).process_by_id(payment_id)


@dataclass
class Api:
    """A test client on a fresh app, and what tests need around it."""

    app: FastAPI
    client: TestClient
    container: Container
    bank: ApiBank

    @property
    def settings(self) -> Settings:
        return self.container.settings

    def token(
        self, *scopes: str, sub: str = "client-1", ttl: int = 600, tags: list[str] | None = None
    ) -> str:
        keys = TokenKeys.from_settings(self.settings)
        return issue_token(keys, subject=sub, scopes=scopes, ttl_seconds=ttl, tags=tags)

    def auth(self, *scopes: str, **kwargs: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(*scopes, **kwargs)}"}


@pytest.fixture
def make_api(api_settings, engine: Engine, clean_sandbox) -> Iterator[Callable[..., Api]]:
    """Builds an app (with settings overrides) over the test database; closed at the end of the test."""
    opened: list[tuple[TestClient, Container]] = []

    def build(*, client: tuple[str, int] = ("testclient", 50000), base_url: str = "http://testserver", **env):
        container = Container(api_settings(**env), engine)
        app = create_app(container=container)
        test_client = TestClient(app, client=client, base_url=base_url)
        test_client.__enter__()
        opened.append((test_client, container))
        return Api(app=app, client=test_client, container=container, bank=ApiBank(container, clean_sandbox))

    yield build
    for test_client, container in opened:
        test_client.__exit__(None, None, None)
        container.close_clients()


@pytest.fixture
def api(make_api) -> Api:
    return make_api()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serving(app: FastAPI, port: int) -> Iterator[str]:
    """Serves ``app`` with a real uvicorn on 127.0.0.1:``port`` in a thread; yields its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off"))
    thread = threading.Thread(target=server.run, name="api-under-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the API server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
