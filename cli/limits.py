"""`paycrypt limits [--tag TAG]`: the payment limits in force, and what a tag has left today."""

from __future__ import annotations

import json

import click

from paycrypt.cli.context import AppContext
from paycrypt.core.limits import headroom
from paycrypt.core.storage.types import utcnow
from paycrypt.core.values.addresses import Tag
from paycrypt.core.values.amount import format_stroops

pass_app = click.make_pass_decorator(AppContext)


@click.command()
@click.option("--tag", help="Also show what this tag may still send today (UTC).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def limits(app: AppContext, tag: str | None, as_json: bool) -> None:
    """Show the payment limits in force."""
    in_force = app.settings.limits
    report: dict[str, object] = dict(in_force.as_dict())
    if tag is not None:
        name = Tag.parse(tag).value
        with app.container.unit_of_work() as uow:
            left = headroom(uow, in_force, name, utcnow().date())
        report["headroom"] = {
            "tag": name,
            "amount": format_stroops(left.tag_stroops),
            "count": left.tag_count,
            "global_amount": format_stroops(left.global_stroops),
        }
    if as_json:
        click.echo(json.dumps(report))
        return
    for key, value in report.items():
        if isinstance(value, dict):
            click.echo(
                f"left today for {value['tag']}: {value['amount']} in {value['count']} payments "
                f"(service-wide {value['global_amount']})"
            )
        else:
            click.echo(f"{key.replace('_', ' ')}: {value}")
