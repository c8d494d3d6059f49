"""`paycrypt config show`, `paycrypt keys new-master-key` and `paycrypt keys reseal`."""

from __future__ import annotations

import click

from paycrypt.cli.accounts import cli_actor
from paycrypt.cli.context import AppContext
from paycrypt.core.key_rotation import reseal_signing_keys
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
        ("PAYCRYPT_MASTER_KEY_PREVIOUS", f"{len(s.previous_master_keys)} older key(s)"),
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


@keys.command("reseal")
@pass_app
def keys_reseal(app: AppContext) -> None:
    """Re-seal every stored signing key with the current PAYCRYPT_MASTER_KEY (a master key rotation).

    Set the new key as PAYCRYPT_MASTER_KEY and the old one as PAYCRYPT_MASTER_KEY_PREVIOUS, run this, then
    remove the old key. All keys change together or none do."""
    report = reseal_signing_keys(
        uow=app.container.unit_of_work(), vault=app.container.vault, actor=cli_actor()
    )
    click.echo(
        f"re-sealed {report.resealed} signing key(s) with master key {report.master_key_id}; "
        f"{report.already_current} already used it"
    )
