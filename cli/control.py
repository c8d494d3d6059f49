"""`paycrypt pause`, `paycrypt resume`, `paycrypt status`: the global payment switch from a shell."""

from __future__ import annotations

import getpass
import json

import click

from paycrypt.cli.context import AppContext
from paycrypt.core.access import Actor, Role
from paycrypt.core.control import PauseState, engine_status, pause_payments, resume_payments

pass_app = click.make_pass_decorator(AppContext)


def _operator() -> Actor:
    # Whoever holds a shell with the service's configuration is an operator of this deployment.
    return Actor(name=f"cli:{getpass.getuser()}", role=Role.OPS)


def _describe(state: PauseState) -> str:
    if not state.paused:
        return "payments are running"
    since = state.since.isoformat(timespec="seconds") if state.since else "?"
    return f"payments are PAUSED since {since} by {state.by}: {state.reason}"


@click.command()
@click.option("--reason", required=True, help="Why payments are paused (kept in the audit log).")
@pass_app
def pause(app: AppContext, reason: str) -> None:
    """Hold every new payment: nothing is signed or submitted until resumed."""
    state = pause_payments(app.container.uow_factory, _operator(), reason)
    click.echo(_describe(state) if state.changed else f"already paused; {_describe(state)}")


@click.command()
@click.option("--reason", help="Why payments are resumed (kept in the audit log).")
@pass_app
def resume(app: AppContext, reason: str | None) -> None:
    """Let held and new payments go out again."""
    state = resume_payments(app.container.uow_factory, _operator(), reason)
    click.echo("payments resumed" if state.changed else "payments were not paused; nothing changed")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def status(app: AppContext, as_json: bool) -> None:
    """The pause switch and the payments waiting or in flight."""
    report = engine_status(app.container.uow_factory)
    counts = {
        "held": report.held,
        "awaiting_signatures": report.awaiting_signatures,
        "submitted_unconfirmed": report.submitted_unconfirmed,
        "unknown": report.unknown,
    }
    if as_json:
        pause_info = {
            "paused": report.pause.paused,
            "since": report.pause.since.isoformat() if report.pause.since else None,
            "by": report.pause.by,
            "reason": report.pause.reason,
        }
        click.echo(json.dumps({"pause": pause_info, **counts}))
        return
    click.echo(_describe(report.pause))
    for name, count in counts.items():
        click.echo(f"{name.replace('_', ' ')}: {count}")
