"""`paycrypt migrate up|status|rollback`: the database schema, like the checklist's migrate scripts."""

from __future__ import annotations

import sys

import click

from paycrypt.cli.context import AppContext
from paycrypt.core.storage import schema

pass_app = click.make_pass_decorator(AppContext)


@click.group()
def migrate() -> None:
    """Apply, inspect or roll back database migrations."""


@migrate.command("up")
@pass_app
def migrate_up(app: AppContext) -> None:
    """Apply every pending migration (to head)."""
    container = app.container
    result = schema.upgrade(container.engine)
    where = container.settings.database_url_display
    if not result.applied:
        click.echo(f"{where}: already at head ({result.after})")
        return
    for revision in result.applied:
        click.echo(f"applied {revision}")
    click.echo(f"{where}: now at {result.after} (was {result.before or 'empty'})")


@migrate.command("status")
@pass_app
def migrate_status(app: AppContext) -> None:
    """Show the current revision, the head and what is pending; exit 1 when behind."""
    container = app.container
    state = schema.status(container.engine)
    click.echo(f"database: {container.settings.database_url_display}")
    click.echo(f"current:  {state.current or '(empty: no migration applied)'}")
    click.echo(f"head:     {state.head}")
    if state.pending:
        click.echo(f"pending:  {len(state.pending)}")
        for revision in state.pending:
            click.echo(f"  {revision}  {state.descriptions.get(revision, '').splitlines()[0]}")
        sys.exit(1)
    click.echo("pending:  none (up to date)")


@migrate.command("rollback")
@click.option("--to", "to", metavar="REV", help="Roll back to this revision ('base' removes everything).")
@pass_app
def migrate_rollback(app: AppContext, to: str | None) -> None:
    """Undo migrations: one step by default, or down to --to REV."""
    result = schema.rollback(app.container.engine, to=to)
    for revision in result.applied:
        click.echo(f"rolled back {revision}")
    click.echo(f"{app.container.settings.database_url_display}: now at {result.after or 'base (empty)'}")
