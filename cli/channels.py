"""`paycrypt channels ensure N --funder TAG` and `paycrypt channels status`."""

from __future__ import annotations

import click

from paycrypt.cli.context import AppContext
from paycrypt.core.payments.channels import DEFAULT_STARTING_BALANCE, ensure_channels
from paycrypt.core.values import parse_stroops

pass_app = click.make_pass_decorator(AppContext)


@click.group()
def channels() -> None:
    """Channel accounts: more payments per ledger from one funds account."""


@channels.command("ensure")
@click.argument("count", type=int)
@click.option("--funder", required=True, help="Custodial tag whose account creates and funds the channels.")
@click.option(
    "--balance", default="2", show_default=True, help="Starting balance of each channel (pays fees)."
)
@pass_app
def channels_ensure(app: AppContext, count: int, funder: str, balance: str) -> None:
    """Create channels until COUNT are ready."""
    starting = parse_stroops(balance, field="balance") if balance else DEFAULT_STARTING_BALANCE
    report = ensure_channels(app.container.payments, funder=funder, count=count, starting_balance=starting)
    click.echo(f"created {report.created} channel(s); {report.ready} ready")


@channels.command("status")
@pass_app
def channels_status(app: AppContext) -> None:
    """How many channels are ready and how many are leased now."""
    with app.container.unit_of_work() as uow:
        ready = uow.channels.count("ready")
        busy = uow.channels.leased()
    click.echo(f"ready: {ready}\nleased now: {busy}")
