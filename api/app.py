"""The application factory: `create_app(settings=None, container=None)`.

Tests pass their own container (test database, sandbox); `paycrypt api` builds one from the settings
through core/bootstrap.py (see server.py). Nothing connects at import time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig
from starlette.middleware import Middleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from paycrypt.api.deps import ApiServices
from paycrypt.api.errors import install_error_handlers
from paycrypt.api.metrics import MetricsExporter
from paycrypt.api.middleware import EdgeMiddleware, GuardMiddleware
from paycrypt.api.ratelimit import ApiRateLimiter
from paycrypt.api.reads import row_reader
from paycrypt.api.routes import control, federation, history, metrics, payments, service, tags, web_auth
from paycrypt.api.security import TokenKeys, TokenVerifier
from paycrypt.core import __version__
from paycrypt.core.bootstrap import Container, bootstrap
from paycrypt.core.settings import Settings, get_settings

DESCRIPTION = """PayCrypt's HTTP API: send payments on Stellar, read their history, resolve tags,
federation (SEP-2), and the operations switch. Errors are always
`{"error": {"code", "message", "request_id"}}`."""


NO_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


# Paths any origin may call: SEP-1, SEP-2 and SEP-10 require it.
PUBLIC_PATHS = (*federation.PUBLIC_PATHS, web_auth.WEB_AUTH_PATH)


def create_app(settings: Settings | None = None, container: Container | None = None) -> FastAPI:
    owned = container is None
    if container is None:
        container = bootstrap(settings or get_settings())
    settings = container.settings
    probe = container.probe_horizon()
    api = ApiServices(
        container=container,
        verifier=TokenVerifier(TokenKeys.from_settings(settings)),
        limiter=ApiRateLimiter(settings.api, settings.redis_url),
        metrics=MetricsExporter(container.uow_factory),
        probe_horizon=probe,
        reader=row_reader(container.engine, settings),
        web_auth=web_auth.web_auth_for(settings),
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await api.reader.close()
            probe.close()
            if owned:
                container.close()

    middleware = []
    if settings.api.trusted_proxies:
        # X-Forwarded-For / -Proto are believed only from these peers (client address, https for HSTS).
        middleware.append(
            Middleware(ProxyHeadersMiddleware, trusted_hosts=list(settings.api.trusted_proxies))
        )
    middleware += [
        Middleware(EdgeMiddleware, origin=settings.cors_origin, public_paths=PUBLIC_PATHS),
        Middleware(GuardMiddleware, max_bytes=settings.api.max_body_bytes),
    ]
    app = FastAPI(
        title="PayCrypt API",
        version=__version__,
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url=None,  # Swagger UI and ReDoc load scripts from a CDN, which the strict CSP forbids
        redoc_url=None,
        lifespan=lifespan,
        middleware=middleware,
        # The API reports through its own Prometheus metrics and logs. FastAPI's OpenTelemetry hooks would
        # otherwise look up the global providers on every request, only to find none configured.
        telemetry=NO_TELEMETRY,
    )
    app.state.services = api
    install_error_handlers(app, settings.known_secret_values())
    for module in (service, tags, payments, history, control, federation, web_auth, metrics):
        app.include_router(module.router)
    return app
