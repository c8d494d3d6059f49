"""Settings of the HTTP API (``paycrypt api``): tokens, rate limits, proxies, body size, metrics.

Read by :func:`paycrypt.core.settings.load_settings` through the same typed readers as every other setting;
a bad value fails at start with a message naming the variable.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Final, Protocol

from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key
from stellar_sdk import StrKey

from paycrypt.core.errors import ConfigError
from paycrypt.core.secrets import Secret

SYMMETRIC_ALGORITHMS: Final = ("HS256", "HS384", "HS512")
ASYMMETRIC_ALGORITHMS: Final = ("RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA")
# Route groups a rate limit can name; each API route belongs to one (api/ratelimit.py).
RATE_LIMIT_GROUPS: Final = ("default", "public", "federation", "read", "payment", "control", "admin")
DEFAULT_LIMITS_PER_IP: Final = "default=300/minute, payment=60/minute"
DEFAULT_LIMITS_PER_TOKEN: Final = "default=600/minute, payment=120/minute"  # noqa: S105 (not a secret)
_RATE = re.compile(r"(\d{1,9})\s*/\s*(\d{1,6})?\s*(second|minute|hour|day)s?", re.ASCII)


class _Reader(Protocol):
    """The typed readers of core/settings.py that these settings use."""

    def get(self, name: str) -> str | None: ...
    def text(self, name: str, default: str) -> str: ...
    def integer(self, name: str, default: int, *, minimum: int, maximum: int) -> int: ...
    def secret(self, name: str) -> Secret | None: ...


@dataclass(frozen=True)
class RateLimit:
    """``amount`` requests per ``multiples`` x ``period`` (second, minute, hour or day)."""

    amount: int
    multiples: int
    period: str

    def __str__(self) -> str:
        return f"{self.amount}/{self.multiples} {self.period}"


@dataclass(frozen=True)
class ApiSettings:
    host: str = "127.0.0.1"
    port: int = 3000
    jwt_algorithm: str = "HS256"
    jwt_public_key: str | None = None  # PEM; required for an asymmetric algorithm
    jwt_private_key: Secret | None = None  # PEM; only `paycrypt token issue` needs it
    jwt_issuer: str = "paycrypt"
    jwt_audience: str = "paycrypt-api"
    limits_per_ip: dict[str, RateLimit] = field(default_factory=dict)
    limits_per_token: dict[str, RateLimit] = field(default_factory=dict)
    max_body_bytes: int = 64 * 1024
    trusted_proxies: tuple[str, ...] = ("127.0.0.1",)
    public_url: str = "http://127.0.0.1:3000"
    metrics_token: Secret | None = None
    metrics_port: int | None = None
    sep10_signing_key: Secret | None = None  # a secret seed: SEP-10 web authentication is served when set

    @property
    def asymmetric(self) -> bool:
        return self.jwt_algorithm in ASYMMETRIC_ALGORITHMS

    def limit(self, group: str, *, per_token: bool) -> RateLimit:
        table = self.limits_per_token if per_token else self.limits_per_ip
        return table.get(group) or table["default"]


def read_api_settings(src: _Reader, *, federation_domain: str | None) -> ApiSettings:
    port = src.integer("API_PORT", 3000, minimum=1, maximum=65535)
    algorithm = src.text("JWT_ALGORITHM", "HS256")
    if algorithm not in SYMMETRIC_ALGORITHMS + ASYMMETRIC_ALGORITHMS:
        allowed = ", ".join(SYMMETRIC_ALGORITHMS + ASYMMETRIC_ALGORITHMS)
        raise ConfigError(f"JWT_ALGORITHM: expected one of {allowed}, got {algorithm!r}")
    public_key = src.secret("JWT_PUBLIC_KEY")  # read as a secret only for its NAME_FILE support
    private_key = src.secret("JWT_PRIVATE_KEY")
    if algorithm in ASYMMETRIC_ALGORITHMS:
        if public_key is None:
            raise ConfigError(
                f"JWT_PUBLIC_KEY: required with JWT_ALGORITHM={algorithm} (or JWT_PUBLIC_KEY_FILE)"
            )
        _check_pem("JWT_PUBLIC_KEY", public_key.reveal(), private=False)
        if private_key is not None:
            _check_pem("JWT_PRIVATE_KEY", private_key.reveal(), private=True)
    elif public_key is not None or private_key is not None:
        raise ConfigError(f"JWT_PUBLIC_KEY: set only with an asymmetric JWT_ALGORITHM, not {algorithm}")
    sep10_key = _sep10_key(src.secret("PAYCRYPT_SEP10_SIGNING_KEY"), federation_domain)
    if sep10_key is not None and algorithm in ASYMMETRIC_ALGORITHMS and private_key is None:
        raise ConfigError(
            f"PAYCRYPT_SEP10_SIGNING_KEY: SEP-10 issues {algorithm} tokens, so JWT_PRIVATE_KEY is needed"
        )
    metrics_port = src.integer("METRICS_PORT", 0, minimum=0, maximum=65535) or None
    if metrics_port == port:
        raise ConfigError(f"METRICS_PORT: must differ from API_PORT ({port})")
    return ApiSettings(
        host=_host(src.text("API_HOST", "127.0.0.1")),
        port=port,
        jwt_algorithm=algorithm,
        jwt_public_key=public_key.reveal() if public_key is not None else None,
        jwt_private_key=private_key,
        jwt_issuer=_claim("JWT_ISSUER", src.text("JWT_ISSUER", "paycrypt")),
        jwt_audience=_claim("JWT_AUDIENCE", src.text("JWT_AUDIENCE", "paycrypt-api")),
        limits_per_ip=_rate_limits("API_RATE_LIMITS_PER_IP", src.text("API_RATE_LIMITS_PER_IP", "")),
        limits_per_token=_rate_limits("API_RATE_LIMITS_PER_TOKEN", src.text("API_RATE_LIMITS_PER_TOKEN", "")),
        max_body_bytes=src.integer("API_MAX_BODY_BYTES", 64 * 1024, minimum=1024, maximum=10 * 1024 * 1024),
        trusted_proxies=_proxies(src.text("API_TRUSTED_PROXIES", "127.0.0.1")),
        public_url=_public_url(src.get("API_PUBLIC_URL"), federation_domain, port),
        metrics_token=_metrics_token(src.secret("METRICS_TOKEN")),
        metrics_port=metrics_port,
        sep10_signing_key=sep10_key,
    )


def _sep10_key(key: Secret | None, federation_domain: str | None) -> Secret | None:
    if key is None:
        return None
    if not StrKey.is_valid_ed25519_secret_seed(key.reveal().strip()):
        # Never echo the value: it is meant to be a secret seed.
        raise ConfigError("PAYCRYPT_SEP10_SIGNING_KEY: expected a Stellar secret seed (S...)")
    if federation_domain is None:
        raise ConfigError(
            "PAYCRYPT_SEP10_SIGNING_KEY: needs PAYCRYPT_FEDERATION_DOMAIN, the home domain challenges name"
        )
    return Secret(key.reveal().strip())


def parse_rate_limit(name: str, text: str) -> RateLimit:
    match = _RATE.fullmatch(text.strip().lower())
    if not match or int(match.group(1)) < 1:
        raise ConfigError(f"{name}: expected a rate such as 60/minute or 10/5 seconds, got {text.strip()!r}")
    multiples = int(match.group(2) or 1)
    if multiples < 1:
        raise ConfigError(f"{name}: the period in {text.strip()!r} must be at least 1")
    return RateLimit(amount=int(match.group(1)), multiples=multiples, period=match.group(3))


def _rate_limits(name: str, text: str) -> dict[str, RateLimit]:
    """``group=rate`` pairs separated by commas, over the defaults; ``default`` covers unnamed groups."""
    defaults = DEFAULT_LIMITS_PER_IP if name.endswith("_IP") else DEFAULT_LIMITS_PER_TOKEN
    limits: dict[str, RateLimit] = {}
    for value in (defaults, text):
        for part in filter(None, (p.strip() for p in value.split(","))):
            group, sep, rate = part.partition("=")
            group = group.strip().lower()
            if not sep or group not in RATE_LIMIT_GROUPS:
                raise ConfigError(
                    f"{name}: expected group=rate pairs with groups from {', '.join(RATE_LIMIT_GROUPS)}, "
                    f"got {part!r}"
                )
            limits[group] = parse_rate_limit(name, rate)
    return limits


def _check_pem(name: str, pem: str, *, private: bool) -> None:
    try:
        if private:
            load_pem_private_key(pem.encode(), password=None)
        else:
            load_pem_public_key(pem.encode())
    except (ValueError, TypeError):
        kind = "an unencrypted PEM private key" if private else "a PEM public key"
        raise ConfigError(f"{name}: expected {kind}") from None


def _claim(name: str, value: str) -> str:
    if len(value) > 200 or not value.isprintable():
        raise ConfigError(f"{name}: expected printable text of at most 200 characters")
    return value


def _host(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9.:\-\[\]]{1,253}", value):
        raise ConfigError(f"API_HOST: expected an address such as 127.0.0.1 or 0.0.0.0, got {value!r}")
    return value


def _proxies(value: str) -> tuple[str, ...]:
    """IP addresses or networks whose X-Forwarded-For/-Proto are believed; ``none`` or ``*``."""
    if value.strip().lower() == "none":
        return ()
    entries = tuple(p.strip() for p in value.split(",") if p.strip())
    for entry in entries:
        if entry == "*":
            continue
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ConfigError(
                f"API_TRUSTED_PROXIES: expected IP addresses or networks (or none, or *), got {entry!r}"
            ) from None
    return entries


def _public_url(value: str | None, federation_domain: str | None, port: int) -> str:
    """Where clients reach the API; the stellar.toml names its /federation under it."""
    if value is None or not value.strip():
        return f"https://{federation_domain}" if federation_domain else f"http://127.0.0.1:{port}"
    url = value.strip().rstrip("/")
    if not re.fullmatch(r"https?://[A-Za-z0-9.\-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~\-/]*)?", url):
        raise ConfigError(
            f"API_PUBLIC_URL: expected an http(s) URL such as https://pay.example.com, got {url!r}"
        )
    return url


def _metrics_token(token: Secret | None) -> Secret | None:
    if token is not None and len(token.reveal()) < 16:
        raise ConfigError("METRICS_TOKEN: too short; use at least 16 random characters")
    return token
