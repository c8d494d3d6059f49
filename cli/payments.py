"""`paycrypt pay`, `paycrypt worker`, `paycrypt payments show|sign`: sending money from a shell."""

from __future__ import annotations

import json
import signal
import threading
from types import FrameType

import click
from stellar_sdk import Keypair
from stellar_sdk.exceptions import Ed25519SecretSeedInvalidError

from paycrypt.cli.accounts import read_secret
from paycrypt.cli.context import AppContext
from paycrypt.core.errors import NotFoundError, ValidationError
from paycrypt.core.payments.accept import SendPayment, send_payment
from paycrypt.core.payments.cosign import add_signature
from paycrypt.core.payments.model import Payment
from paycrypt.core.payments.worker import PaymentWorker

pass_app = click.make_pass_decorator(AppContext)


def _show(payment: Payment, as_json: bool, note: str = "") -> None:
    if as_json:
        click.echo(json.dumps(payment.to_dict()))
        return
    what = f"{payment.amount} {payment.asset} {payment.source_tag} -> {payment.destination}"
    line = f"{payment.id} {payment.status.value}: {what}"
    click.echo(line + (f" ({note})" if note else ""))
    if payment.tx_hash:
        click.echo(f"  hash {payment.tx_hash}" + (f" in ledger {payment.ledger}" if payment.ledger else ""))
    if payment.error_code:
        click.echo(f"  error [{payment.error_code}]: {payment.error_message}")


@click.command()
@click.option("--from", "source", required=True, help="The paying tag (PayCrypt signs for it).")
@click.option("--to", "destination", required=True, help="A tag, a G.../M... address or name*domain.")
@click.option("--amount", required=True, help='A decimal string, e.g. "12.5" (at most 7 decimals).')
@click.option("--asset", default="native", show_default=True, help="native, or CODE:ISSUER.")
@click.option("--memo", help="A text memo (at most 28 bytes), or the value for --memo-type.")
@click.option(
    "--memo-type", type=click.Choice(["text", "id", "hash"]), help="The memo's type (default text)."
)
@click.option("--idempotency-key", help="Sending again with the same key returns the same payment.")
@click.option("--wait", is_flag=True, help="Sign and submit now, and wait for the ledger's answer.")
@click.option("--json", "as_json", is_flag=True, help="Print the payment as JSON.")
@pass_app
def pay(
    app: AppContext,
    source: str,
    destination: str,
    amount: str,
    asset: str,
    memo: str | None,
    memo_type: str | None,
    idempotency_key: str | None,
    wait: bool,
    as_json: bool,
) -> None:
    """Send a payment."""
    engine = app.container.payments
    command = SendPayment(source, destination, amount, asset, memo, memo_type, idempotency_key)
    accepted = send_payment(engine, command)
    payment = accepted.payment
    if wait and not payment.status.is_terminal:
        payment = PaymentWorker(engine).process_by_id(payment.id) or payment
    _show(payment, as_json, "" if accepted.created else "existing payment for this idempotency key")
    if payment.status.value in ("failed", "expired"):
        raise SystemExit(1)


@click.command()
@click.option("--once", is_flag=True, help="Process what is waiting, then exit.")
@click.option("--concurrency", default=16, show_default=True, help="Payments in flight at once (1-512).")
@pass_app
def worker(app: AppContext, once: bool, concurrency: int) -> None:
    """Sign and submit accepted payments, and settle those in flight, until stopped."""
    app.service = True
    engine = app.container.payments
    runner = PaymentWorker(engine)
    if once:
        handled = runner.run_once()
        click.echo(f"handled {handled} payment(s)")
        return
    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    click.echo(f"worker {runner.owner} running against {app.settings.horizon_url}")
    if not 1 <= concurrency <= 512:
        raise ValidationError("--concurrency must be between 1 and 512", code="concurrency_invalid")
    runner.run_forever(stop, concurrency=concurrency)


@click.group()
def payments() -> None:
    """Inspect and co-sign payments."""


@payments.command("show")
@click.argument("payment_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON, with the state history.")
@pass_app
def payments_show(app: AppContext, payment_id: str, as_json: bool) -> None:
    """A payment and every state it went through."""
    with app.container.unit_of_work() as uow:
        payment = uow.payments.get(payment_id)
        events = uow.payments.events(payment_id)
    if payment is None:
        raise NotFoundError(f"no payment {payment_id}", code="payment_not_found")
    if as_json:
        body = payment.to_dict()
        body["events"] = [
            {"status": e.status.value, "at": e.at.isoformat(), "detail": e.detail} for e in events
        ]
        click.echo(json.dumps(body))
        return
    _show(payment, False)
    for event in events:
        click.echo(f"  {event.at.isoformat(timespec='milliseconds')}  {event.status.value}")


@payments.command("sign")
@click.argument("payment_id")
@click.option(
    "--secret-file", required=True, help="File holding the co-signer's secret seed, or - for stdin."
)
@click.option("--json", "as_json", is_flag=True, help="Print the payment as JSON.")
@pass_app
def payments_sign(app: AppContext, payment_id: str, secret_file: str, as_json: bool) -> None:
    """Add a co-signer's signature to a payment awaiting signatures."""
    secret = read_secret(secret_file)
    try:
        keypair = Keypair.from_secret(secret.reveal())
    except (Ed25519SecretSeedInvalidError, ValueError):
        raise ValidationError(
            "the secret file does not hold a valid secret seed", code="secret_invalid"
        ) from None
    _show(add_signature(app.container.payments, payment_id, keypair), as_json)
