"""`paycrypt api`: serve the HTTP API with uvicorn (TLS and proxy options included)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from paycrypt.cli.context import AppContext
from paycrypt.core.errors import ValidationError

pass_app = click.make_pass_decorator(AppContext)


@click.command()
@click.option("--host", help="Address to listen on (default API_HOST, 127.0.0.1).")
@click.option("--port", type=int, help="Port to listen on (default API_PORT, 3000).")
@click.option("--workers", default=1, show_default=True, help="Worker processes (1-64).")
@click.option("--ssl-certfile", type=click.Path(dir_okay=False), help="TLS certificate (PEM); serves HTTPS.")
@click.option("--ssl-keyfile", type=click.Path(dir_okay=False), help="TLS private key (PEM).")
@click.option(
    "--proxy-headers/--no-proxy-headers",
    default=True,
    show_default=True,
    help="Believe X-Forwarded-For/-Proto from trusted proxies (client address for rate limits, https).",
)
@click.option("--forwarded-allow-ips", help="Trusted proxies: IPs or networks, comma-separated, or '*'.")
@pass_app
def api(
    app: AppContext,
    host: str | None,
    port: int | None,
    workers: int,
    ssl_certfile: str | None,
    ssl_keyfile: str | None,
    proxy_headers: bool,
    forwarded_allow_ips: str | None,
) -> None:
    """Serve the HTTP API until stopped."""
    from paycrypt.api.server import ServerOptions, prepare_multiprocess_metrics, run_api

    if not 1 <= workers <= 64:
        raise ValidationError("--workers must be between 1 and 64", code="workers_invalid", field="workers")
    if port is not None and not 1 <= port <= 65535:
        raise ValidationError("--port must be between 1 and 65535", code="port_invalid", field="port")
    if bool(ssl_certfile) != bool(ssl_keyfile):
        raise ValidationError(
            "--ssl-certfile and --ssl-keyfile go together", code="tls_incomplete", field="ssl_certfile"
        )
    for path in (ssl_certfile, ssl_keyfile):
        if path and not Path(path).is_file():
            raise ValidationError(f"cannot read {path}", code="tls_file_missing", field="ssl_certfile")
    # The workers read their settings from the environment: the options travel there.
    if not proxy_headers:
        os.environ["API_TRUSTED_PROXIES"] = "none"
    elif forwarded_allow_ips is not None:
        os.environ["API_TRUSTED_PROXIES"] = forwarded_allow_ips
    from paycrypt.core.settings import get_settings

    get_settings.cache_clear()
    app.service = True
    container = app.container  # checks the settings (with the options above) before anything starts
    settings = container.settings
    prepare_multiprocess_metrics(settings.var_dir, workers)
    options = ServerOptions(
        host=host or settings.api.host,
        port=port or settings.api.port,
        workers=workers,
        ssl_certfile=ssl_certfile,
        ssl_keyfile=ssl_keyfile,
    )
    scheme = "https" if ssl_certfile else "http"
    click.echo(f"API on {scheme}://{options.host}:{options.port} ({workers} worker(s)); Ctrl-C stops it")
    run_api(options, container)
