"""`paycrypt sandbox`: a local Stellar network that speaks Horizon, for development and tests."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from paycrypt.core.settings import SANDBOX_PASSPHRASE


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on."
)
@click.option(
    "--ledger-close",
    "ledger_close",
    default=5.0,
    show_default=True,
    type=click.FloatRange(min=0.05),
    help="Seconds between ledger closes.",
)
@click.option(
    "--state",
    "state_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="JSON file that keeps the ledger across restarts (saved after busy ledgers and on exit).",
)
@click.option(
    "--admin/--no-admin",
    default=False,
    show_default=True,
    help="Serve the test controls under /_sandbox/ (close a ledger now, inject faults).",
)
@click.option(
    "--submission-timeout",
    default=30.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Seconds POST /transactions waits for a ledger before answering 504.",
)
def sandbox(
    host: str, port: int, ledger_close: float, state_path: Path | None, admin: bool, submission_timeout: float
) -> None:
    """Run the sandbox: a Horizon-compatible API over an in-process Stellar ledger, until Ctrl-C."""
    # Imported here so that other commands do not pay for the server's imports.
    from paycrypt.sandbox.node import NodeConfig
    from paycrypt.sandbox.server import serve
    from paycrypt.sandbox.state_file import StateFileError

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = NodeConfig(
        passphrase=SANDBOX_PASSPHRASE,
        ledger_close_seconds=ledger_close,
        submission_timeout=submission_timeout,
        state_path=state_path,
        admin=admin,
    )
    click.echo(f"sandbox: http://{host}:{port}  network passphrase {SANDBOX_PASSPHRASE!r}")
    click.echo(f"sandbox: a ledger closes every {ledger_close:g} s; admin routes {'on' if admin else 'off'}")
    if state_path is not None:
        click.echo(f"sandbox: ledger state in {state_path}")
    try:
        serve(config, host, port)
    except StateFileError as err:
        raise click.ClickException(str(err)) from None
