"""`paycrypt token issue`: a signed API token (JWT) for a client or an operator."""

from __future__ import annotations

import click

from paycrypt.cli.context import AppContext

pass_app = click.make_pass_decorator(AppContext)


@click.group()
def token() -> None:
    """API tokens."""


@token.command("issue")
@click.option("--sub", "subject", required=True, help="Who the token is for; the audit log names them.")
@click.option(
    "--scope",
    "scopes",
    required=True,
    multiple=True,
    help="Repeatable or space-separated: payments:read payments:write tags:write viewer ops manager admin.",
)
@click.option("--ttl", default="1h", show_default=True, help="Lifetime: 90s, 15m, 12h, 7d (at most 90 days).")
@click.option(
    "--tag", "tags", multiple=True, help="Repeatable: limit the token to these tags (default: all)."
)
@pass_app
def token_issue(
    app: AppContext, subject: str, scopes: tuple[str, ...], ttl: str, tags: tuple[str, ...]
) -> None:
    """Print a signed token: use it as `Authorization: Bearer TOKEN`."""
    from paycrypt.api.security import TokenKeys, issue_token, parse_ttl

    wanted = [s for scope in scopes for s in scope.split()]
    keys = TokenKeys.from_settings(app.settings)
    click.echo(
        issue_token(keys, subject=subject, scopes=wanted, ttl_seconds=parse_ttl(ttl), tags=list(tags) or None)
    )
