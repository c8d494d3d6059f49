"""`paycrypt config show` and `paycrypt keys new-master-key`."""

from __future__ import annotations

import click

from paycrypt.cli.context import AppContext
from paycrypt.core.secrets import REDACTED
from paycrypt.core.settings import new_master_key

pass_app = click.make_pass_decorator(AppContext)


@click.group()
def config() -> None:
    """Inspect the configuration in force."""


@config.command("show")
@pass_app
def config_show(app: AppContext) -> None:
    """Print the settings in force; secrets are shown only as set or not."""
    s = app.settings
    rows = [
        ("PAYCRYPT_ENV", s.env.value),
        ("STELLAR_NETWORK", s.stellar_network.value),
        ("STELLAR_HORIZON_URL", s.horizon_url),
        ("network passphrase", s.network_passphrase),
        ("DATABASE_URL", s.database_url_display),
        ("DATABASE_POOL_SIZE", str(s.database_pool_size)),
        ("DATABASE_POOL_TIMEOUT", f"{s.database_pool_timeout:g}s"),
        ("CORS_ORIGIN", s.cors_origin),
        ("REDIS_URL", REDACTED if s.redis_url else "(not set: in-memory rate limits)"),
        ("JWT_SECRET", _secret_note("JWT_SECRET", s.generated_secrets)),
        ("PAYCRYPT_MASTER_KEY", _secret_note("PAYCRYPT_MASTER_KEY", s.generated_secrets)),
        ("PAYCRYPT_VAR_DIR", str(s.var_dir)),
        ("API_HOST", s.api.host),
        ("API_PORT", str(s.api.port)),
        ("JWT_ALGORITHM", s.api.jwt_algorithm),
        ("JWT_ISSUER", s.api.jwt_issuer),
        ("JWT_AUDIENCE", s.api.jwt_audience),
        ("API_TRUSTED_PROXIES", ", ".join(s.api.trusted_proxies) or "none"),
        ("METRICS_TOKEN", f"{REDACTED} (set)" if s.api.metrics_token else "(not set: /metrics is open)"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        click.echo(f"{name.ljust(width)}  {value}")


def _secret_note(name: str, generated: tuple[str, ...]) -> str:
    return f"{REDACTED} (development throwaway)" if name in generated else f"{REDACTED} (set)"


@click.group()
def keys() -> None:
    """Key material helpers."""


@keys.command("new-master-key")
def keys_new_master_key() -> None:
    """Print a fresh random PAYCRYPT_MASTER_KEY (store it in your secret manager, not in a shell history)."""
    click.echo(new_master_key())
