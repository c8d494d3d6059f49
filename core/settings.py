"""Configuration, read once from the environment and an optional ``.env`` file.

Every value is typed and checked here; a bad value fails at start with a message naming the variable.
Each secret may instead be given as a file through ``NAME_FILE`` (Docker and Kubernetes secrets).
Secrets are held in :class:`Secret`, so printing or logging a Settings object shows no secret.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import re
import secrets as token_source
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Final, TypeVar

from dotenv import dotenv_values
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from paycrypt.core.api_settings import ApiSettings, read_api_settings
from paycrypt.core.errors import ConfigError, ValidationError
from paycrypt.core.limits import PaymentLimits
from paycrypt.core.secrets import Secret
from paycrypt.core.values.amount import parse_stroops

log = logging.getLogger(__name__)

SANDBOX_PASSPHRASE: Final = "PayCrypt Sandbox ; 2026"  # noqa: S105 (a public network name)
SANDBOX_DEFAULT_URL: Final = "http://127.0.0.1:8000"
MIN_JWT_SECRET_LENGTH: Final = 32
WEAK_SECRETS: Final = frozenset({"secret", "changeme", "change-me", "password", "jwt_secret", "default"})


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class TagCacheMode(StrEnum):
    LISTEN = "listen"  # tags in memory, forgotten on PostgreSQL's change notices (core/storage/tag_cache.py)
    OFF = "off"  # every read goes to the database (for a proxy that cannot pass LISTEN, e.g. PgBouncer
    # in transaction mode)


class StellarNetwork(StrEnum):
    SANDBOX = "SANDBOX"
    TESTNET = "TESTNET"
    PUBLIC = "PUBLIC"

    @property
    def passphrase(self) -> str:
        return _PASSPHRASES[self]

    @property
    def default_horizon_url(self) -> str:
        return _HORIZON_URLS[self]


_PASSPHRASES: Final = {
    StellarNetwork.SANDBOX: SANDBOX_PASSPHRASE,
    StellarNetwork.TESTNET: "Test SDF Network ; September 2015",
    StellarNetwork.PUBLIC: "Public Global Stellar Network ; September 2015",
}
_HORIZON_URLS: Final = {
    StellarNetwork.SANDBOX: SANDBOX_DEFAULT_URL,
    StellarNetwork.TESTNET: "https://horizon-testnet.stellar.org",
    StellarNetwork.PUBLIC: "https://horizon.stellar.org",
}


@dataclass(frozen=True)
class Settings:
    env: Environment
    var_dir: Path
    stellar_network: StellarNetwork
    horizon_url: str
    database_url: Secret
    database_pool_size: int
    database_pool_timeout: float
    jwt_secret: Secret
    cors_origin: str
    redis_url: Secret | None
    master_key: Secret
    previous_master_keys: tuple[Secret, ...]  # still read, never used to seal: a rotation in progress
    log_level: str
    limits: PaymentLimits
    max_fee_stroops: int
    tx_timeout_seconds: int
    cosign_window_seconds: int
    federation_domain: str | None
    horizon_pool_size: int
    api: ApiSettings
    tag_cache: TagCacheMode = TagCacheMode.LISTEN
    # Development only: secrets that are throwaways kept under var/secrets, and those created by this load.
    generated_secrets: tuple[str, ...] = field(default=())
    created_secrets: tuple[str, ...] = field(default=())

    @property
    def network_passphrase(self) -> str:
        return self.stellar_network.passphrase

    @property
    def is_production(self) -> bool:
        return self.env is Environment.PRODUCTION

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.reveal().startswith("sqlite")

    @property
    def database_url_display(self) -> str:
        """The database URL with any password masked, for messages and logs."""
        return make_url(self.database_url.reveal()).render_as_string(hide_password=True)

    def known_secret_values(self) -> tuple[str, ...]:
        """Raw secret values the log filter must mask wherever they appear."""
        values = [self.jwt_secret.reveal(), self.master_key.reveal()]
        values += [key.reveal() for key in self.previous_master_keys]
        api_secrets = (self.api.jwt_private_key, self.api.metrics_token, self.api.sep10_signing_key)
        values += [s.reveal() for s in api_secrets if s is not None]
        for url in (self.database_url, self.redis_url):
            if url is not None:
                password = make_url(url.reveal()).password
                if password:
                    values.append(str(password))
        return tuple(v for v in values if v)


# --- typed readers -------------------------------------------------------------------------------------

T = TypeVar("T")


class _Source:
    """The environment over the .env file: the process environment wins."""

    def __init__(self, environ: Mapping[str, str], dotenv: Mapping[str, str | None]):
        self._environ = environ
        self._dotenv = dotenv

    def get(self, name: str) -> str | None:
        if name in self._environ:
            return self._environ[name]
        value = self._dotenv.get(name)
        return value if value is not None else None

    def text(self, name: str, default: str) -> str:
        value = self.get(name)
        return default if value is None or value.strip() == "" else value.strip()

    def choice(self, name: str, kind: Callable[[str], T], default: T, normalise: Callable[[str], str]) -> T:
        raw = self.get(name)
        if raw is None or raw.strip() == "":
            return default
        try:
            return kind(normalise(raw.strip()))
        except ValueError:
            allowed = ", ".join(str(v) for v in kind.__members__.values())  # type: ignore[attr-defined]
            raise ConfigError(f"{name}: expected one of {allowed}, got {raw.strip()!r}") from None

    def integer(self, name: str, default: int, *, minimum: int, maximum: int) -> int:
        raw = self.get(name)
        if raw is None or raw.strip() == "":
            return default
        try:
            value = int(raw.strip())
        except ValueError:
            raise ConfigError(f"{name}: expected a whole number, got {raw.strip()!r}") from None
        if not minimum <= value <= maximum:
            raise ConfigError(f"{name}: must be between {minimum} and {maximum}, got {value}")
        return value

    def stroops(self, name: str, default: str) -> int:
        """An amount given as a decimal string ("12.5"), as stroops; must be more than 0."""
        raw = self.text(name, default)
        try:
            value = parse_stroops(raw, field=name)
        except ValidationError as err:
            raise ConfigError(f"{name}: {err.message.removeprefix(name).lstrip(': ')}") from None
        if value <= 0:
            raise ConfigError(f"{name}: must be more than 0, got {raw!r}")
        return value

    def seconds(self, name: str, default: float, *, maximum: float) -> float:
        raw = self.get(name)
        if raw is None or raw.strip() == "":
            return default
        try:
            value = float(raw.strip())
        except ValueError:
            raise ConfigError(f"{name}: expected a number of seconds, got {raw.strip()!r}") from None
        if not 0 < value <= maximum:
            raise ConfigError(f"{name}: must be more than 0 and at most {maximum} seconds")
        return value

    def secret(self, name: str) -> Secret | None:
        """``NAME`` or the contents of the file named by ``NAME_FILE``; never both. Values are not echoed."""
        direct = self.get(name)
        file_name = self.get(f"{name}_FILE")
        if direct and file_name:
            raise ConfigError(f"{name} and {name}_FILE are both set; set only one")
        if file_name:
            path = Path(file_name)
            try:
                value = path.read_text(encoding="utf-8").strip()
            except OSError as err:
                raise ConfigError(f"{name}_FILE: cannot read {path}: {err.strerror}") from None
            if not value:
                raise ConfigError(f"{name}_FILE: {path} is empty")
            return Secret(value)
        if direct is None or direct.strip() == "":
            return None
        return Secret(direct.strip())


# --- loading -------------------------------------------------------------------------------------------


def load_settings(environ: Mapping[str, str] | None = None, env_file: Path | None = None) -> Settings:
    """Reads and checks every setting. Raises ConfigError naming the first bad variable."""
    environ = os.environ if environ is None else environ
    if env_file is None:
        env_file = Path(environ.get("PAYCRYPT_ENV_FILE", ".env"))
    dotenv = dotenv_values(env_file) if env_file.is_file() else {}
    src = _Source(environ, dotenv)

    env = src.choice("PAYCRYPT_ENV", Environment, Environment.DEVELOPMENT, str.lower)
    var_dir = Path(src.text("PAYCRYPT_VAR_DIR", "var")).resolve()
    network = src.choice("STELLAR_NETWORK", StellarNetwork, StellarNetwork.SANDBOX, str.upper)
    horizon_url = _http_url(
        "STELLAR_HORIZON_URL", src.text("STELLAR_HORIZON_URL", network.default_horizon_url)
    )

    database_url = _database_url(src.secret("DATABASE_URL") or Secret(f"sqlite:///{var_dir / 'paycrypt.db'}"))
    redis_url = src.secret("REDIS_URL")
    if redis_url is not None and not redis_url.reveal().startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError("REDIS_URL: expected a redis://, rediss:// or unix:// URL")

    jwt_secret = src.secret("JWT_SECRET")
    master_key = src.secret("PAYCRYPT_MASTER_KEY")
    cors_origin = src.text("CORS_ORIGIN", "http://localhost:8501")
    generated: list[str] = []
    created: list[str] = []

    if env is Environment.PRODUCTION:
        _refuse_unsafe_production(jwt_secret, master_key, cors_origin, database_url)
    else:
        if jwt_secret is None:
            jwt_secret = _development_secret(
                var_dir, "JWT_SECRET", lambda: token_source.token_urlsafe(48), created
            )
            generated.append("JWT_SECRET")
        if master_key is None:
            master_key = _development_secret(var_dir, "PAYCRYPT_MASTER_KEY", _new_master_key, created)
            generated.append("PAYCRYPT_MASTER_KEY")
    assert jwt_secret is not None and master_key is not None
    _check_master_key(master_key)
    previous_master_keys = _previous_master_keys(src.secret("PAYCRYPT_MASTER_KEY_PREVIOUS"))
    if jwt_secret.reveal() and len(jwt_secret.reveal()) < 16:
        raise ConfigError("JWT_SECRET: too short; use at least 32 random characters")

    log_level = src.text("PAYCRYPT_LOG_LEVEL", "INFO").upper()
    if log_level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        raise ConfigError(
            f"PAYCRYPT_LOG_LEVEL: expected DEBUG, INFO, WARNING, ERROR or CRITICAL, got {log_level!r}"
        )

    federation_domain = _domain(src.get("PAYCRYPT_FEDERATION_DOMAIN"))
    return Settings(
        api=read_api_settings(src, federation_domain=federation_domain),
        limits=_limits(src),
        max_fee_stroops=src.integer("PAYCRYPT_MAX_FEE_STROOPS", 100_000, minimum=100, maximum=1_000_000_000),
        tx_timeout_seconds=src.integer("PAYCRYPT_TX_TIMEOUT", 60, minimum=10, maximum=3600),
        cosign_window_seconds=src.integer("PAYCRYPT_COSIGN_WINDOW", 3600, minimum=60, maximum=7 * 86400),
        federation_domain=federation_domain,
        horizon_pool_size=src.integer("PAYCRYPT_HORIZON_POOL_SIZE", 32, minimum=1, maximum=1024),
        tag_cache=src.choice("PAYCRYPT_TAG_CACHE", TagCacheMode, TagCacheMode.LISTEN, str.lower),
        env=env,
        var_dir=var_dir,
        stellar_network=network,
        horizon_url=horizon_url,
        database_url=database_url,
        database_pool_size=src.integer("DATABASE_POOL_SIZE", 10, minimum=1, maximum=200),
        database_pool_timeout=src.seconds("DATABASE_POOL_TIMEOUT", 30.0, maximum=600),
        jwt_secret=jwt_secret,
        cors_origin=_cors_origin(cors_origin),
        redis_url=redis_url,
        master_key=master_key,
        previous_master_keys=previous_master_keys,
        log_level=log_level,
        generated_secrets=tuple(generated),
        created_secrets=tuple(created),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read on first use and then kept."""
    settings = load_settings()
    if settings.created_secrets:
        log.warning(
            "development mode: generated a throwaway %s in %s; never use these in production",
            " and ".join(settings.created_secrets),
            settings.var_dir / "secrets",
        )
    return settings


def _limits(src: _Source) -> PaymentLimits:
    limits = PaymentLimits(
        min_stroops=src.stroops("PAYCRYPT_LIMIT_MIN_AMOUNT", "0.0000001"),
        max_stroops=src.stroops("PAYCRYPT_LIMIT_MAX_AMOUNT", "10000"),
        tag_daily_stroops=src.stroops("PAYCRYPT_LIMIT_TAG_DAILY_AMOUNT", "50000"),
        tag_daily_count=src.integer("PAYCRYPT_LIMIT_TAG_DAILY_COUNT", 1000, minimum=1, maximum=10_000_000),
        global_daily_stroops=src.stroops("PAYCRYPT_LIMIT_GLOBAL_DAILY_AMOUNT", "1000000"),
    )
    if limits.min_stroops > limits.max_stroops:
        raise ConfigError("PAYCRYPT_LIMIT_MIN_AMOUNT: larger than PAYCRYPT_LIMIT_MAX_AMOUNT")
    if limits.max_stroops > limits.global_daily_stroops:
        raise ConfigError("PAYCRYPT_LIMIT_MAX_AMOUNT: larger than PAYCRYPT_LIMIT_GLOBAL_DAILY_AMOUNT")
    return limits


def _domain(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    domain = value.strip().lower()
    if not re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)*(:[0-9]{1,5})?", domain):
        raise ConfigError(
            f"PAYCRYPT_FEDERATION_DOMAIN: expected a domain such as pay.example.com, got {value!r}"
        )
    return domain


def _http_url(name: str, value: str) -> str:
    if not value.startswith(("http://", "https://")) or len(value) < 10:
        raise ConfigError(f"{name}: expected an http:// or https:// URL, got {value!r}")
    return value.rstrip("/")


def _cors_origin(value: str) -> str:
    if value != "*" and not value.startswith(("http://", "https://")):
        raise ConfigError(f"CORS_ORIGIN: expected an origin such as https://app.example.com, got {value!r}")
    return value.rstrip("/")


def _database_url(url: Secret) -> Secret:
    """Checks the URL; a bare postgresql:// (or postgres://) URL is given the psycopg 3 driver."""
    raw = url.reveal()
    if raw.startswith("postgres://"):
        raw = "postgresql://" + raw.removeprefix("postgres://")
    try:
        parsed: URL = make_url(raw)
    except ArgumentError:
        raise ConfigError(
            "DATABASE_URL: not a database URL (expected sqlite:///... or postgresql+psycopg://...)"
        ) from None
    backend = parsed.get_backend_name()
    if backend not in {"sqlite", "postgresql"}:
        raise ConfigError(f"DATABASE_URL: unsupported database {backend!r}; use SQLite or PostgreSQL")
    if backend == "postgresql":
        if "+" not in parsed.drivername:
            parsed = parsed.set(drivername="postgresql+psycopg")
        elif parsed.get_driver_name() != "psycopg":
            raise ConfigError(
                "DATABASE_URL: PostgreSQL URLs must use the psycopg 3 driver: postgresql+psycopg://..."
            )
        return Secret(parsed.render_as_string(hide_password=False))
    return Secret(raw)


def _previous_master_keys(value: Secret | None) -> tuple[Secret, ...]:
    """PAYCRYPT_MASTER_KEY_PREVIOUS: comma-separated older master keys, kept while stored keys are
    re-sealed with the current one (paycrypt keys reseal)."""
    if value is None:
        return ()
    keys = tuple(Secret(part.strip()) for part in value.reveal().split(",") if part.strip())
    for key in keys:
        _check_master_key(key, name="PAYCRYPT_MASTER_KEY_PREVIOUS")
    return keys


def _check_master_key(key: Secret, *, name: str = "PAYCRYPT_MASTER_KEY") -> None:
    try:
        raw = base64.urlsafe_b64decode(key.reveal().encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raw = b""
    if len(raw) != 32:
        raise ConfigError(
            f"{name}: expected 32 random bytes in URL-safe base64 "
            "(make one with: paycrypt keys new-master-key)"
        )
    if len(set(raw)) < 12:  # 32 random bytes repeat few values; a patterned key repeats many
        raise ConfigError(f"{name}: too weak, not random bytes (make one with: paycrypt keys new-master-key)")


def _refuse_unsafe_production(
    jwt_secret: Secret | None, master_key: Secret | None, cors_origin: str, database_url: Secret
) -> None:
    if jwt_secret is None:
        raise ConfigError("JWT_SECRET: required in production (or JWT_SECRET_FILE)")
    value = jwt_secret.reveal()
    if len(value) < MIN_JWT_SECRET_LENGTH or value.lower() in WEAK_SECRETS or len(set(value)) < 10:
        raise ConfigError(
            f"JWT_SECRET: too weak for production; use at least {MIN_JWT_SECRET_LENGTH} random characters"
        )
    if master_key is None:
        raise ConfigError("PAYCRYPT_MASTER_KEY: required in production (or PAYCRYPT_MASTER_KEY_FILE)")
    if cors_origin.strip() == "*":
        raise ConfigError("CORS_ORIGIN: '*' is refused in production; name the dashboard or frontend origin")
    if database_url.reveal().startswith("sqlite"):
        raise ConfigError(
            "DATABASE_URL: SQLite is for development; production needs postgresql+psycopg://..."
        )


def _new_master_key() -> str:
    return base64.urlsafe_b64encode(token_source.token_bytes(32)).decode("ascii")


def new_master_key() -> str:
    """A fresh master key in the format PAYCRYPT_MASTER_KEY expects."""
    return _new_master_key()


def _development_secret(var_dir: Path, name: str, make: Callable[[], str], created: list[str]) -> Secret:
    """Reads or creates a throwaway secret under var/secrets, readable by this user only."""
    folder = var_dir / "secrets"
    path = folder / name.lower()
    if path.is_file():
        return Secret(path.read_text(encoding="ascii").strip())
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    value = make()
    # Written aside, then linked into place: atomic, and a process racing us never reads half a file.
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{name.lower()}.")
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(value + "\n")
        os.link(tmp_name, path)
    except FileExistsError:  # another process of the stack created it first: use theirs
        return Secret(path.read_text(encoding="ascii").strip())
    finally:
        os.unlink(tmp_name)
    created.append(name)
    return Secret(value)
