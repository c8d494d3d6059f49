"""`GET /`, `/health/live` and `/health/ready`."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from paycrypt.api.deps import Api, public
from paycrypt.api.errors import error_response
from paycrypt.api.responses import ShapedJSONResponse
from paycrypt.api.routes.common import COMMON, errors
from paycrypt.api.schemas import Liveness, Readiness, ServiceInfo
from paycrypt.checks.readiness import check_readiness
from paycrypt.core import __version__
from paycrypt.core.control import is_paused

router = APIRouter(tags=["service"], responses=errors(*COMMON))


@router.get("/", response_model=ServiceInfo, dependencies=[Depends(public("public"))])
def service_info(api: Api) -> ServiceInfo:
    """The service, its version and network, and whether payments are paused."""
    with api.container.unit_of_work() as uow:
        paused = is_paused(uow)
    return ServiceInfo(
        service="paycrypt", version=__version__, network=api.settings.stellar_network.value, paused=paused
    )


@router.get("/health/live", response_model=Liveness)
async def live() -> ShapedJSONResponse:
    """The process answers (no dependency is checked)."""
    return ShapedJSONResponse({"status": "ok"})  # Liveness


@router.get(
    "/health/ready",
    response_model=Readiness,
    dependencies=[Depends(public("public"))],
)
def ready(api: Api) -> Readiness | JSONResponse:
    """Database reachable, migrations at head, Horizon reachable; 503 names what is failing."""
    state = check_readiness(api.container.engine, api.probe_horizon)
    if not state.ready:
        named = ", ".join(f"{part} {state.checks[part]}" for part in state.failing)
        return error_response(503, "not_ready", f"not ready: {named}", details=state.checks)
    return Readiness(status="ready", checks=state.checks)
