"""Shared fixtures: one parametrised database (SQLite and the real PostgreSQL), settings, and the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, delete, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError

from paycrypt.core.settings import Settings, load_settings
from paycrypt.core.storage import schema
from paycrypt.core.storage.database import make_engine
from paycrypt.core.storage.tables import metadata
from paycrypt.core.storage.unit_of_work import UnitOfWork
from paycrypt.sandbox.testing import RunningSandbox, running_sandbox

POSTGRES_ADMIN_URL = os.environ.get(
    "PAYCRYPT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
BACKENDS = ["sqlite", "postgresql"]


class ThrowawayDatabases:
    """Creates empty databases for one test run and drops them at the end."""

    def __init__(self, tmp_dir: Path):
        self._tmp_dir = tmp_dir
        self._pg_names: list[str] = []
        self._admin: Engine | None = None

    def new_url(self, backend: str) -> str:
        name = f"paycrypt_test_{uuid.uuid4().hex[:12]}"
        if backend == "sqlite":
            return f"sqlite:///{self._tmp_dir / (name + '.db')}"
        if self._admin is None:
            self._admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        for attempt in range(10):
            try:
                with self._admin.connect() as conn:
                    conn.execute(text(f'CREATE DATABASE "{name}"'))
                break
            except OperationalError:
                # "source database template1 is being accessed by other users": another test run is
                # creating a database at this very moment. Wait and try again.
                if attempt == 9:
                    raise
                time.sleep(0.2 * (attempt + 1))
        self._pg_names.append(name)
        return make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        if self._admin is None:
            return
        with self._admin.connect() as conn:
            for name in self._pg_names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self._admin.dispose()


@pytest.fixture(scope="session")
def throwaway_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThrowawayDatabases]:
    databases = ThrowawayDatabases(tmp_path_factory.mktemp("databases"))
    yield databases
    databases.drop_all()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, throwaway_databases: ThrowawayDatabases) -> str:
    """A database migrated to head, one per backend for the whole run."""
    url = throwaway_databases.new_url(request.param)
    engine = make_engine(url)
    schema.upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def _session_engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(_session_engine: Engine) -> Iterator[Engine]:
    """The migrated database, emptied after each test so tests never see each other's rows.

    Rows are deleted rather than rolled back so tests may commit from several connections at once, as
    concurrent workers and API replicas do.
    """
    yield _session_engine
    with _session_engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(delete(table))


@pytest.fixture
def uow_factory(engine: Engine) -> Callable[[], UnitOfWork]:
    return lambda: UnitOfWork(engine)


@pytest.fixture
def empty_database_url(request: pytest.FixtureRequest, throwaway_databases: ThrowawayDatabases) -> str:
    """A brand-new empty database on the backend named by the test's `backend` parameter."""
    backend = getattr(request, "param", "sqlite")
    return throwaway_databases.new_url(backend)


@pytest.fixture
def settings_factory(tmp_path: Path) -> Callable[..., Settings]:
    """Builds Settings from an explicit environment (never the developer's own) with var/ in tmp_path."""

    def build(env_file: Path | None = None, **environ: str) -> Settings:
        environ.setdefault("PAYCRYPT_VAR_DIR", str(tmp_path / "var"))
        return load_settings(environ, env_file=env_file or tmp_path / "no.env")

    return build


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """An environment for running `paycrypt` as a subprocess, isolated in tmp_path."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PAYCRYPT_", "STELLAR_", "DATABASE_", "JWT_"))
    }
    env.update(PAYCRYPT_VAR_DIR=str(tmp_path / "var"), PAYCRYPT_ENV_FILE=str(tmp_path / "no.env"))
    return env


PAYCRYPT = str(Path(sys.executable).with_name("paycrypt"))


def wait_until(condition: Callable[[], object], timeout: float = 5.0) -> None:
    """Polls ``condition`` until it holds; fails the test after ``timeout`` seconds (for what another
    thread or process does: a change notice arriving, a listener connecting)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def run_paycrypt(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Runs the installed `paycrypt` command as an operator would."""
    return subprocess.run(
        [PAYCRYPT, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture
def paycrypt() -> Callable[..., subprocess.CompletedProcess[str]]:
    return run_paycrypt


@pytest.fixture(scope="session")
def sandbox() -> Iterator[RunningSandbox]:
    """One local Stellar network for the whole run; ledgers close every 0.05 s so submissions return fast."""
    with running_sandbox(ledger_close_seconds=0.05) as running:
        yield running


@pytest.fixture
def clean_sandbox(sandbox: RunningSandbox) -> Iterator[RunningSandbox]:
    """The shared sandbox with no fault left over from another test."""
    sandbox.faults.clear()
    yield sandbox
    sandbox.faults.clear()
