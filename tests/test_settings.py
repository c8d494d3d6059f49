"""Settings: typed, fail at start naming the variable, NAME_FILE for secrets, never show a secret."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest

from paycrypt.core.errors import ConfigError
from paycrypt.core.secrets import RedactingFilter
from paycrypt.core.settings import Environment, StellarNetwork, new_master_key

STRONG_JWT = "x9Yq2LmP7vRt4KzW8nBc3HdF6sJg1AeQ5uVo0iXy"
MASTER_KEY = new_master_key()
PRODUCTION = {
    "PAYCRYPT_ENV": "production",
    "JWT_SECRET": STRONG_JWT,
    "PAYCRYPT_MASTER_KEY": MASTER_KEY,
    "CORS_ORIGIN": "https://ops.example.com",
    "DATABASE_URL": "postgresql+psycopg://pay:hunter2-db-password@db.internal:5432/paycrypt",
}


def test_the_embedded_defaults_are_sandbox_and_a_sqlite_file_under_var(settings_factory, tmp_path):
    settings = settings_factory()
    assert settings.env is Environment.DEVELOPMENT
    assert settings.stellar_network is StellarNetwork.SANDBOX
    assert settings.horizon_url == "http://127.0.0.1:8000"
    assert settings.network_passphrase == "PayCrypt Sandbox ; 2026"
    assert settings.database_url.reveal() == f"sqlite:///{tmp_path / 'var' / 'paycrypt.db'}"
    assert settings.redis_url is None


@pytest.mark.parametrize(
    ("network", "passphrase", "horizon"),
    [
        ("testnet", "Test SDF Network ; September 2015", "https://horizon-testnet.stellar.org"),
        ("PUBLIC", "Public Global Stellar Network ; September 2015", "https://horizon.stellar.org"),
    ],
)
def test_the_passphrase_and_default_horizon_follow_the_network(
    settings_factory, network, passphrase, horizon
):
    settings = settings_factory(STELLAR_NETWORK=network)
    assert settings.network_passphrase == passphrase
    assert settings.horizon_url == horizon


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("STELLAR_NETWORK", "mainnet", "STELLAR_NETWORK: expected one of SANDBOX, TESTNET, PUBLIC"),
        ("PAYCRYPT_ENV", "staging", "PAYCRYPT_ENV: expected one of development, production"),
        ("STELLAR_HORIZON_URL", "horizon.local", "STELLAR_HORIZON_URL: expected an http"),
        ("DATABASE_URL", "mysql://x@y/z", "DATABASE_URL: unsupported database"),
        (
            "DATABASE_URL",
            "postgresql+psycopg2://x@y/z",
            "DATABASE_URL: PostgreSQL URLs must use the psycopg 3",
        ),
        ("DATABASE_URL", "not a url", "DATABASE_URL: not a database URL"),
        ("DATABASE_POOL_SIZE", "ten", "DATABASE_POOL_SIZE: expected a whole number"),
        ("DATABASE_POOL_SIZE", "0", "DATABASE_POOL_SIZE: must be between 1 and 200"),
        ("DATABASE_POOL_TIMEOUT", "-1", "DATABASE_POOL_TIMEOUT: must be more than 0"),
        ("REDIS_URL", "http://cache", "REDIS_URL: expected a redis://"),
        ("CORS_ORIGIN", "example.com", "CORS_ORIGIN: expected an origin"),
        ("PAYCRYPT_MASTER_KEY", "too-short", "PAYCRYPT_MASTER_KEY: expected 32 random bytes"),
        ("PAYCRYPT_LOG_LEVEL", "LOUD", "PAYCRYPT_LOG_LEVEL: expected DEBUG"),
        ("PAYCRYPT_TAG_CACHE", "always", "PAYCRYPT_TAG_CACHE: expected one of listen, off"),
    ],
)
def test_a_bad_value_fails_naming_the_variable(settings_factory, variable, value, message):
    with pytest.raises(ConfigError) as caught:
        settings_factory(**{variable: value})
    assert str(caught.value).startswith(message)
    assert caught.value.code == "config_invalid"


@pytest.mark.parametrize("url", ["postgresql://u:p@h:5432/db", "postgres://u:p@h:5432/db"])
def test_a_plain_postgresql_url_gets_the_psycopg_driver(settings_factory, url):
    settings = settings_factory(DATABASE_URL=url)
    assert settings.database_url.reveal() == "postgresql+psycopg://u:p@h:5432/db"


def test_a_secret_can_be_read_from_a_file(settings_factory, tmp_path):
    secret_file = tmp_path / "jwt"
    secret_file.write_text(STRONG_JWT + "\n")
    settings = settings_factory(JWT_SECRET_FILE=str(secret_file))
    assert settings.jwt_secret.reveal() == STRONG_JWT


@pytest.mark.parametrize("name", ["JWT_SECRET", "PAYCRYPT_MASTER_KEY", "DATABASE_URL", "REDIS_URL"])
def test_every_secret_accepts_a_file_and_refuses_both_forms(settings_factory, tmp_path, name):
    value = {
        "JWT_SECRET": STRONG_JWT,
        "PAYCRYPT_MASTER_KEY": MASTER_KEY,
        "DATABASE_URL": "postgresql+psycopg://u:p@h/db",
        "REDIS_URL": "redis://:pw@cache:6379/0",
    }[name]
    path = tmp_path / name.lower()
    path.write_text(value)
    settings = settings_factory(**{f"{name}_FILE": str(path)})
    attribute = {"JWT_SECRET": "jwt_secret", "PAYCRYPT_MASTER_KEY": "master_key"}.get(name, name.lower())
    assert getattr(settings, attribute).reveal() == value
    with pytest.raises(ConfigError, match=f"{name} and {name}_FILE are both set"):
        settings_factory(**{name: value, f"{name}_FILE": str(path)})


def test_a_missing_secret_file_is_named(settings_factory, tmp_path):
    with pytest.raises(ConfigError, match="JWT_SECRET_FILE: cannot read"):
        settings_factory(JWT_SECRET_FILE=str(tmp_path / "absent"))


def test_the_environment_wins_over_the_env_file(settings_factory, tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("STELLAR_NETWORK=TESTNET\nCORS_ORIGIN=https://from-file.example\n")
    settings = settings_factory(env_file=env_file, STELLAR_NETWORK="PUBLIC")
    assert settings.stellar_network is StellarNetwork.PUBLIC
    assert settings.cors_origin == "https://from-file.example"


def test_development_generates_throwaway_secrets_once_and_keeps_them_private(settings_factory, tmp_path):
    first = settings_factory()
    second = settings_factory()
    assert first.created_secrets == ("JWT_SECRET", "PAYCRYPT_MASTER_KEY")
    assert second.created_secrets == ()
    assert second.generated_secrets == ("JWT_SECRET", "PAYCRYPT_MASTER_KEY")
    assert first.jwt_secret == second.jwt_secret and first.master_key == second.master_key
    for name in ("jwt_secret", "paycrypt_master_key"):
        mode = (tmp_path / "var" / "secrets" / name).stat().st_mode
        assert stat.S_IMODE(mode) == 0o600


def test_production_starts_with_strong_settings(settings_factory):
    settings = settings_factory(**PRODUCTION)
    assert settings.is_production
    assert settings.generated_secrets == ()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"JWT_SECRET": ""}, "JWT_SECRET: required in production"),
        ({"JWT_SECRET": "secret"}, "JWT_SECRET: too weak"),
        ({"JWT_SECRET": "a" * 64}, "JWT_SECRET: too weak"),
        ({"PAYCRYPT_MASTER_KEY": ""}, "PAYCRYPT_MASTER_KEY: required in production"),
        ({"CORS_ORIGIN": "*"}, "CORS_ORIGIN: '*' is refused in production"),
        ({"PAYCRYPT_MASTER_KEY": "A" * 43 + "="}, "PAYCRYPT_MASTER_KEY: too weak"),
        ({"DATABASE_URL": ""}, "DATABASE_URL: SQLite is for development"),
        ({"DATABASE_URL": "sqlite:///prod.db"}, "DATABASE_URL: SQLite is for development"),
    ],
)
def test_production_refuses_unsafe_settings(settings_factory, tmp_path, change, message):
    with pytest.raises(ConfigError, match=message.replace("*", r"\*")):
        settings_factory(**{**PRODUCTION, **change})
    assert not (tmp_path / "var" / "secrets").exists(), "production never generates secrets"


def test_the_settings_module_never_prints_a_secret(settings_factory, tmp_path, caplog, capsys):
    redis = "redis://:redis-pass-123@cache:6379/0"
    caplog.set_level(logging.DEBUG)
    settings = settings_factory(**PRODUCTION, REDIS_URL=redis)
    secrets = [STRONG_JWT, MASTER_KEY, "hunter2-db-password", "redis-pass-123"]
    shown = "\n".join(
        [
            repr(settings),
            str(settings),
            f"{settings}",
            settings.database_url_display,
            caplog.text,
            *capsys.readouterr(),
        ]
    )
    for secret in secrets:
        assert secret not in shown
    assert "db.internal" in settings.database_url_display


def test_errors_about_a_secret_do_not_echo_its_value(settings_factory):
    bad_key = "definitely-not-a-fernet-key-but-secret"
    with pytest.raises(ConfigError) as caught:
        settings_factory(PAYCRYPT_MASTER_KEY=bad_key)
    assert bad_key not in str(caught.value)


def test_the_log_filter_masks_seeds_and_configured_secrets(settings_factory, caplog):
    settings = settings_factory(**PRODUCTION)
    logger = logging.getLogger("paycrypt.test")
    logger.addFilter(RedactingFilter(settings.known_secret_values()))
    seed = "SBKGCMBY56MHWWYYSW4W3OCXX7MKJVQL6OMXWHCUCK4TQMB6BYWUKW5K"
    with caplog.at_level(logging.INFO, logger="paycrypt.test"):
        logger.info("signing with %s and jwt %s", seed, STRONG_JWT)
        try:
            raise ValueError(f"bad db password hunter2-db-password for seed {seed}")
        except ValueError:
            logger.exception("failed")
    assert seed not in caplog.text
    assert STRONG_JWT not in caplog.text
    assert "hunter2-db-password" not in caplog.text
    assert "**********" in caplog.text
    assert "ValueError" in caplog.text


def test_the_secret_wrapper_cannot_be_pickled_into_a_cache(settings_factory):
    import pickle

    settings = settings_factory()
    with pytest.raises(TypeError):
        pickle.dumps(settings.jwt_secret)


def test_var_dir_is_resolved_to_an_absolute_path(settings_factory, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = settings_factory(PAYCRYPT_VAR_DIR="relative-var")
    assert Path(settings.var_dir).is_absolute()
