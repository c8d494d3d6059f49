"""`paycrypt accounts create|import|fund`: custodial accounts. Secrets come from a file or stdin only."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import click

from paycrypt.cli.context import AppContext
from paycrypt.core import accounts as account_services
from paycrypt.core.errors import ValidationError
from paycrypt.core.secrets import STELLAR_SEED_PATTERN, Secret, redact

log = logging.getLogger(__name__)
pass_app = click.make_pass_decorator(AppContext)


def cli_actor() -> str:
    return f"cli:{os.environ.get('USER') or os.environ.get('LOGNAME') or 'unknown'}"


def read_secret(source: str) -> Secret:
    """The secret seed from a file, or from stdin when ``source`` is "-". The value is never echoed."""
    log.debug("reading a secret seed from %s", "stdin" if source == "-" else source)
    if STELLAR_SEED_PATTERN.fullmatch(source.strip()):
        raise ValidationError(
            "--secret-file takes a file name, and that looks like a secret seed; put the seed in a file "
            "(or pipe it with --secret-file -) and consider it exposed if it reached a shell history",
            code="secret_on_command_line",
            field="secret_file",
        )
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else type(err).__name__
        raise ValidationError(
            f"cannot read the secret file {redact(source)}: {reason}",
            code="secret_file_unreadable",
            field="secret_file",
        ) from None
    return Secret(text.strip())


@click.group()
def accounts() -> None:
    """Accounts PayCrypt signs for (custodial)."""


@accounts.command("create")
@click.argument("tag")
@click.option("--fund", is_flag=True, help="Fund the new account through friendbot (sandbox and testnet).")
@pass_app
def accounts_create(app: AppContext, tag: str, fund: bool) -> None:
    """Create a new keypair, seal its seed in the vault and name the account TAG."""
    container = app.container
    horizon = container.horizon if fund else None
    try:
        created = account_services.create_custodial_account(
            tag,
            fund=fund,
            uow=container.unit_of_work(),
            vault=container.vault,
            horizon=horizon,
            actor=cli_actor(),
        )
    finally:
        if horizon is not None:
            horizon.close()
    record = created.record
    click.echo(f"created {record.tag}: {record.account} (custodial, signing key sealed in the vault)")
    if created.funding is not None:
        click.echo(f"funded by friendbot (transaction {created.funding.transaction_hash or 'unknown'})")


@accounts.command("import")
@click.argument("tag")
@click.option(
    "--secret-file",
    "secret_file",
    required=True,
    metavar="FILE",
    help="File holding the secret seed (S...), or - to read it from stdin.",
)
@pass_app
def accounts_import(app: AppContext, tag: str, secret_file: str) -> None:
    """Seal an existing account's secret seed in the vault and name the account TAG."""
    container = app.container  # first: it installs the log filter that masks seeds
    secret = read_secret(secret_file)
    record = account_services.import_account(
        tag,
        secret,
        uow=container.unit_of_work(),
        vault=container.vault,
        actor=cli_actor(),
    )
    click.echo(f"imported {record.tag}: {record.account} (custodial, signing key sealed in the vault)")


@accounts.command("fund")
@click.argument("tag")
@pass_app
def accounts_fund(app: AppContext, tag: str) -> None:
    """Fund TAG's account through friendbot (sandbox and testnet), e.g. after `create --fund` failed to."""
    container = app.container
    horizon = container.horizon
    try:
        result = account_services.fund_account(tag, uow=container.unit_of_work(), horizon=horizon)
    finally:
        horizon.close()
    click.echo(f"funded {result.account_id} (transaction {result.transaction_hash or 'unknown'})")
