"""`paycrypt run`: starts every process of the stack on this machine and stops them together."""

from __future__ import annotations

import click

from paycrypt.cli.context import AppContext
from paycrypt.cli.supervisor import Supervisor, stack_services

pass_app = click.make_pass_decorator(AppContext)


@click.command()
@pass_app
def run(app: AppContext) -> None:
    """Start the whole stack (the processes that exist so far) until Ctrl-C."""
    services = stack_services(app.settings)
    if not services:
        click.echo("nothing to start: no process of the stack is configured to run here")
        return
    supervisor = Supervisor(services, echo=click.echo)
    raise SystemExit(supervisor.run())
