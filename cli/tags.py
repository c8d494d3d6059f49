"""`paycrypt tags add|list|show|remove`: names for Stellar accounts."""

from __future__ import annotations

import json

import click

from paycrypt.cli.accounts import cli_actor
from paycrypt.cli.context import AppContext
from paycrypt.core import tags as tag_services
from paycrypt.core.records import TagRecord

pass_app = click.make_pass_decorator(AppContext)


@click.group()
def tags() -> None:
    """Tags: short names for Stellar accounts, with an optional memo."""


@tags.command("add")
@click.argument("tag")
@click.option("--account", required=True, metavar="G...|M...", help="The account the tag names.")
@click.option("--memo", default=None, help="Memo payments to this tag carry (for shared accounts).")
@click.option(
    "--memo-type",
    type=click.Choice(["text", "id", "hash"]),
    default=None,
    help="Kind of memo (default text).",
)
@pass_app
def tags_add(app: AppContext, tag: str, account: str, memo: str | None, memo_type: str | None) -> None:
    """Name ACCOUNT by TAG."""
    record = tag_services.add_tag(
        tag, account, memo, memo_type, uow=app.container.unit_of_work(), actor=cli_actor()
    )
    click.echo(f"added {record.tag}: {_summary(record)}")


@tags.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def tags_list(app: AppContext, as_json: bool) -> None:
    """List every tag."""
    records = tag_services.list_tags(uow=app.container.unit_of_work())
    if as_json:
        click.echo(json.dumps([r.to_dict() for r in records], indent=2))
        return
    if not records:
        click.echo("no tags yet (add one with: paycrypt tags add TAG --account G...)")
        return
    width = max(len(r.tag.value) for r in records)
    for record in records:
        click.echo(f"{record.tag.value.ljust(width)}  {_summary(record)}")


@tags.command("show")
@click.argument("tag")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def tags_show(app: AppContext, tag: str, as_json: bool) -> None:
    """Show one tag."""
    record = tag_services.get_tag(tag, uow=app.container.unit_of_work())
    if as_json:
        click.echo(json.dumps(record.to_dict(), indent=2))
        return
    rows = [
        ("tag", record.tag.value),
        ("account", record.account.address),
        ("account id", record.account.account_id),
        ("memo", str(record.memo)),
        ("custodial", "yes (PayCrypt holds the signing key)" if record.custodial else "no"),
        ("created", record.created_at.isoformat()),
    ]
    if record.account.muxed_id is not None:
        rows.insert(3, ("muxed id", str(record.account.muxed_id)))
    for name, value in rows:
        click.echo(f"{name.ljust(10)}  {value}")


@tags.command("remove")
@click.argument("tag")
@pass_app
def tags_remove(app: AppContext, tag: str) -> None:
    """Remove TAG. A signing key for its account stays in the vault."""
    record = tag_services.remove_tag(tag, uow=app.container.unit_of_work(), actor=cli_actor())
    click.echo(f"removed {record.tag} ({record.account})")
    if record.custodial:
        click.echo("the account's signing key stays sealed in the vault")


def _summary(record: TagRecord) -> str:
    parts = [record.account.address]
    if not record.memo.is_none:
        parts.append(f"memo {record.memo}")
    if record.custodial:
        parts.append("custodial")
    return "  ".join(parts)
