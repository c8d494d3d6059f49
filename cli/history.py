"""`paycrypt history TAG`: a tag's payments, sent and received, newest first; CSV with --csv."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import click

from paycrypt.cli.context import AppContext
from paycrypt.core.payment_status import PaymentStatus
from paycrypt.core.payments.history import HistoryQuery, all_pages, history_csv, payment_history

pass_app = click.make_pass_decorator(AppContext)


def _when(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


@click.command()
@click.argument("tag")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice([s.value for s in PaymentStatus]),
    help="Repeatable.",
)
@click.option("--since", type=click.DateTime(), help="From this UTC time (inclusive).")
@click.option("--until", type=click.DateTime(), help="Up to this UTC time (exclusive).")
@click.option("--limit", default=50, show_default=True, help="Payments per page (1-200).")
@click.option("--cursor", help="The next-page cursor printed by the previous page.")
@click.option("--csv", "as_csv", is_flag=True, help="Every matching payment as CSV (all pages).")
@click.option("--json", "as_json", is_flag=True, help="One page as JSON.")
@pass_app
def history(
    app: AppContext,
    tag: str,
    statuses: tuple[str, ...],
    since: datetime | None,
    until: datetime | None,
    limit: int,
    cursor: str | None,
    as_csv: bool,
    as_json: bool,
) -> None:
    """Payment history of a tag."""
    query = HistoryQuery(
        tag=tag,
        statuses=tuple(PaymentStatus(s) for s in statuses),
        since=_when(since),
        until=_when(until),
        limit=limit,
        cursor=cursor,
    )
    uow_factory = app.container.uow_factory
    if as_csv:
        click.echo(history_csv(all_pages(uow_factory, query)), nl=False)
        return
    page = payment_history(uow_factory, query)
    if as_json:
        body = {
            "tag": page.tag,
            "payments": [p.to_dict() for p in page.payments],
            "next_cursor": page.next_cursor,
        }
        click.echo(json.dumps(body))
        return
    for p in page.payments:
        arrow = "->" if page.direction(p) == "sent" else "<-"
        other = p.destination if page.direction(p) == "sent" else p.source_tag
        when = p.created_at.isoformat(timespec="seconds")
        click.echo(f"{when}  {p.status.value:<20} {arrow} {other}  {p.amount} {p.asset}  {p.id}")
    if page.next_cursor:
        click.echo(f"more: --cursor {page.next_cursor}")
