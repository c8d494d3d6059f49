"""`paycrypt`: the operators' command line. Each command parses input, calls a core service, prints."""

from __future__ import annotations

import logging
import sys

import click

from paycrypt.cli.accounts import accounts
from paycrypt.cli.api import api
from paycrypt.cli.channels import channels
from paycrypt.cli.context import AppContext
from paycrypt.cli.control import pause, resume, status
from paycrypt.cli.history import history
from paycrypt.cli.limits import limits
from paycrypt.cli.migrate import migrate
from paycrypt.cli.payments import pay, payments, worker
from paycrypt.cli.run import run
from paycrypt.cli.sandbox import sandbox
from paycrypt.cli.settings import config, keys
from paycrypt.cli.tags import tags
from paycrypt.cli.token import token
from paycrypt.core import __version__
from paycrypt.core.errors import PayCryptError
from paycrypt.core.secrets import redact

log = logging.getLogger("paycrypt.cli")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="paycrypt")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """PayCrypt: payments on Stellar, with the controls an operations team needs."""
    ctx.obj = AppContext()
    ctx.call_on_close(ctx.obj.close)


cli.add_command(migrate)
cli.add_command(pause)
cli.add_command(resume)
cli.add_command(status)
cli.add_command(limits)
cli.add_command(pay)
cli.add_command(payments)
cli.add_command(worker)
cli.add_command(history)
cli.add_command(channels)
cli.add_command(run)
cli.add_command(sandbox)
cli.add_command(config)
cli.add_command(keys)
cli.add_command(accounts)
cli.add_command(tags)
cli.add_command(api)
cli.add_command(token)


def main(argv: list[str] | None = None) -> None:
    """Runs the CLI; known errors become one line on stderr and a non-zero exit, never a traceback."""
    try:
        cli.main(args=argv, prog_name="paycrypt", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as err:
        err.show()
        sys.exit(err.exit_code)
    except click.exceptions.Exit as err:
        sys.exit(err.exit_code)
    except PayCryptError as err:
        click.echo(f"error [{err.code}]: {redact(err.message, AppContext.known_secrets())}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as err:
        log.debug("unexpected error", exc_info=True)
        hint = "run with PAYCRYPT_LOG_LEVEL=DEBUG for details"
        click.echo(f"error [internal_error]: unexpected {type(err).__name__}; {hint}", err=True)
        sys.exit(1)
