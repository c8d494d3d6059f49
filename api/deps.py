"""What routes receive: the wired services, and guards that rate-limit and authenticate in that order.

Every route names its rate-limit group; a guarded route also names the scope its token needs.
The per-IP limit is counted before the token is checked, so guessing tokens is throttled too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from paycrypt.api.errors import Unauthorized
from paycrypt.api.metrics import MetricsExporter
from paycrypt.api.ratelimit import ApiRateLimiter, RateState
from paycrypt.api.security import Principal, TokenVerifier
from paycrypt.core.bootstrap import Container
from paycrypt.core.errors import PermissionDenied
from paycrypt.core.horizon import HorizonPort
from paycrypt.core.settings import Settings
from paycrypt.core.storage.reads import RowReader
from paycrypt.core.web_auth import WebAuth

bearer = HTTPBearer(auto_error=False, description="A JWT from `paycrypt token issue`")


@dataclass
class ApiServices:
    container: Container
    verifier: TokenVerifier
    limiter: ApiRateLimiter
    metrics: MetricsExporter
    probe_horizon: HorizonPort  # short timeout, no retry: for readiness only
    reader: RowReader  # single-statement reads outside a transaction, for the read-only routes
    web_auth: WebAuth | None = None  # SEP-10, when configured

    @property
    def settings(self) -> Settings:
        return self.container.settings


def _services(request: Request) -> ApiServices:
    found: ApiServices = request.app.state.services
    return found


# The guards and `services` are coroutines: FastAPI runs a plain function dependency in the thread pool, and
# those hops (two per request, besides the route's own) cost more CPU than the work itself. The guards read
# the services themselves rather than through `Api`: each dependency is resolved anew on every request.
async def services(request: Request) -> ApiServices:
    return _services(request)


Api = Annotated[ApiServices, Depends(services)]


def client_ip(request: Request) -> str:
    # After the proxy-headers middleware: the first untrusted address in X-Forwarded-For, or the peer.
    return request.client.host if request.client else "unknown"


def _remember(request: Request, state: RateState) -> None:
    request.state.rate_limit = RateState.tightest(getattr(request.state, "rate_limit", None), state)


async def _count(api: ApiServices, check: Callable[[str, str], RateState], group: str, who: str) -> RateState:
    """Counts in memory on the event loop; through Redis (blocking calls) in the thread pool."""
    if api.limiter.shared:
        return await run_in_threadpool(check, group, who)
    return check(group, who)


def public(group: str) -> Callable[..., Awaitable[None]]:
    """A route anyone may call, limited per client address."""

    async def guard(request: Request) -> None:
        api = _services(request)
        _remember(request, await _count(api, api.limiter.check_ip, group, client_ip(request)))

    return guard


def authorised(group: str, *scopes: str) -> Callable[..., Awaitable[Principal]]:
    """A route that needs a valid token holding one of ``scopes`` (none named: any valid token)."""

    async def guard(
        request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
    ) -> Principal:
        api = _services(request)
        _remember(request, await _count(api, api.limiter.check_ip, group, client_ip(request)))
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise Unauthorized("a bearer token is required", code="token_missing")
        principal = api.verifier.verify(credentials.credentials)
        _remember(request, await _count(api, api.limiter.check_token, group, principal.subject))
        if scopes and not any(principal.has(scope) for scope in scopes):
            raise PermissionDenied(
                f"this token lacks the scope {' or '.join(scopes)}", code="insufficient_scope"
            )
        request.state.principal = principal
        return principal

    return guard
